using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The double-array trie against a plain set of pieces: what a walk from the root finds, the longest and
/// all matches at a position, the padding that lets a walk step on any byte, duplicates, stored arrays.
/// </summary>
public class PieceTrieTests
{
    /// <summary>A set of distinct non-empty pieces, each with a score, in the order they are given to the builder.</summary>
    public sealed record PieceSet(byte[][] Pieces, double[] Scores, byte[][] Probes)
    {
        public override string ToString()
            => $"pieces: {string.Join(" ", Pieces.Select(Convert.ToHexString))}; probes: {string.Join(" ", Probes.Select(Convert.ToHexString))}";
    }

    /// <summary>Bytes with the extremes over-represented (0x00 and 0xFF are where an off-by-one in base + byte shows).</summary>
    private static readonly Gen<byte> PieceByte = Gen.Frequency(
        (4, Gen.Elements<byte>(0x00, 0xFF, 0x01, 0xFE, (byte)'a', (byte)'b')),
        (1, Gen.Choose(0, 255).Select(i => (byte)i)));

    private static readonly Gen<byte[]> ShortBytes = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(PieceByte, n));

    /// <summary>Up to 60 pieces (many sharing prefixes, by the small alphabet), distinct scores, and probes that are random strings.</summary>
    private static readonly Gen<PieceSet> Sets =
        from raw in Gen.Choose(0, 60).SelectMany(n => Gen.ArrayOf(ShortBytes, n))
        from probes in Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 8).SelectMany(m => Gen.ArrayOf(PieceByte, m)), n))
        from seed in Gen.Choose(0, int.MaxValue)
        let pieces = raw.DistinctBy(Convert.ToHexString).ToArray()
        select new PieceSet(pieces, RandomScores(pieces.Length, seed), probes);

    private static double[] RandomScores(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i => -50 * random.NextDouble() - i * 1e-3)];
    }

    private static PieceTrie Build(byte[][] pieces, double[] scores)
    {
        var (bytes, offsets) = Flatten(pieces);
        PieceTrie? trie = PieceTrie.Build(bytes, offsets, scores, out var duplicate);
        Assert.True(trie is not null, $"no trie: pieces {duplicate.First} and {duplicate.Second} reported equal");
        return trie;
    }

    /// <summary>Every string worth asking about: the pieces, their proper prefixes, each extended by 0x00, 0xFF and one of its own bytes, and the probes.</summary>
    private static IEnumerable<byte[]> Keys(PieceSet set)
    {
        foreach (byte[] p in set.Pieces)
        {
            for (int n = 0; n <= p.Length; n++) yield return p[..n];
            yield return [.. p, 0x00];
            yield return [.. p, 0xFF];
            yield return [.. p, p[0]];
        }
        foreach (byte[] probe in set.Probes) yield return probe;
    }

    private static int IndexOf(byte[][] pieces, ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < pieces.Length; i++) if (key.SequenceEqual(pieces[i])) return i;
        return -1;
    }

    [SkippableFact]
    public void EveryPieceIsFound_WithItsOwnIndexAndScore_AndNoOtherStringIs()
    {
        TestVocab.Check(Sets, set =>
        {
            PieceTrie trie = Build(set.Pieces, set.Scores);
            foreach (byte[] key in Keys(set))
            {
                int expected = IndexOf(set.Pieces, key);
                Assert.Equal(expected, trie.Find(key));
                int cell = trie.Walk(PieceTrie.Root, key);
                if (expected >= 0)
                {
                    Assert.True(cell >= 0, $"{Convert.ToHexString(key)} is a piece but the walk fails");
                    Assert.Equal(expected, trie.PieceAt[cell]);
                    Assert.Equal(set.Scores[expected], trie.Scores[cell]);
                }
                else if (cell >= 0)
                {
                    // A walk may end inside the trie (a prefix of a piece), but no piece and no score is there.
                    Assert.Equal(-1, trie.PieceAt[cell]);
                    Assert.Equal(double.NegativeInfinity, trie.Scores[cell]);
                }
            }
            return true;
        }, maxTest: 400);
    }

    [SkippableFact]
    public void AWalkSucceeds_ExactlyOnThePrefixesOfPieces()
    {
        TestVocab.Check(Sets, set =>
        {
            PieceTrie trie = Build(set.Pieces, set.Scores);
            // The empty key is where every walk starts (the root), pieces or not.
            var prefixes = new HashSet<string>([""]);
            prefixes.UnionWith(set.Pieces.SelectMany(p => Enumerable.Range(0, p.Length + 1).Select(n => Convert.ToHexString(p, 0, n))));
            foreach (byte[] key in Keys(set))
                Assert.Equal(prefixes.Contains(Convert.ToHexString(key)), trie.Walk(PieceTrie.Root, key) >= 0);
            return true;
        }, maxTest: 300);
    }

    [SkippableFact]
    public void LongestPrefix_AndAllMatchesAtEveryPosition_EqualABruteForceScan()
    {
        TestVocab.Check(Sets, set =>
        {
            PieceTrie trie = Build(set.Pieces, set.Scores);
            // A text made of pieces and probes, so that matches overlap and run up to its last byte.
            byte[] text = [.. set.Pieces.Take(8).Concat(set.Probes.Take(4)).SelectMany(p => p)];
            for (int start = 0; start <= text.Length; start++)
            {
                ReadOnlySpan<byte> rest = text.AsSpan(start);
                var expected = new List<(int Length, int Piece)>();
                for (int i = 0; i < set.Pieces.Length; i++)
                    if (rest.StartsWith(set.Pieces[i])) expected.Add((set.Pieces[i].Length, i));
                expected.Sort();

                var actual = new List<(int Length, int Piece)>();
                int node = PieceTrie.Root;
                for (int j = 0; j < rest.Length; j++)
                {
                    node = trie.Walk(node, rest.Slice(j, 1));
                    if (node < 0) break;
                    if (trie.PieceAt[node] >= 0) actual.Add((j + 1, trie.PieceAt[node]));
                }
                Assert.Equal(expected, actual);
                Assert.Equal(expected.Count == 0 ? 0 : expected[^1].Length, trie.LongestPrefix(rest));
            }
            return true;
        }, maxTest: 300);
    }

    [SkippableFact]
    public void APieceThatEndsAtTheLastByte_IsTheLongestPrefix_AndOneByteShortOfItIsNot()
    {
        byte[][] pieces = [[0xFF], [0xFF, 0x00], [0xFF, 0x00, 0xFF], [0x00], [0x00, 0x00, 0x00, 0x00]];
        PieceTrie trie = Build(pieces, [-1, -2, -3, -4, -5]);
        Assert.Equal(3, trie.LongestPrefix([0xFF, 0x00, 0xFF]));
        Assert.Equal(2, trie.LongestPrefix([0xFF, 0x00]));
        Assert.Equal(2, trie.LongestPrefix([0xFF, 0x00, 0x00])); // [FF 00 00] is no piece: back to [FF 00]
        Assert.Equal(1, trie.LongestPrefix([0x00, 0x00, 0x00])); // [00 00 00 00] needs a fourth byte
        Assert.Equal(4, trie.LongestPrefix([0x00, 0x00, 0x00, 0x00]));
        Assert.Equal(0, trie.LongestPrefix([0x01, 0xFF]));
        Assert.Equal(2, trie.Find([0xFF, 0x00, 0xFF]));
        Assert.Equal(-1, trie.Find([0x00, 0x00, 0x00]));
    }

    [SkippableFact]
    public void EmptyInput_MatchesNothing_AndLeavesTheWalkAtTheRoot()
    {
        PieceTrie trie = Build([[0x00], [0x61, 0x62], [0xFF]], [-1, -2, -3]);
        Assert.Equal(-1, trie.Find([]));
        Assert.Equal(0, trie.LongestPrefix([]));
        Assert.Equal(PieceTrie.Root, trie.Walk(PieceTrie.Root, []));
        int a = trie.Walk(PieceTrie.Root, [0x61]);
        Assert.Equal(a, trie.Walk(a, []));
    }

    [SkippableFact]
    public void ATrieOfNoPieces_FindsNothing_AndAStepOnAnyByteFailsWithoutLeavingTheArrays()
    {
        PieceTrie trie = Build([], []);
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal(-1, trie.Walk(PieceTrie.Root, [(byte)b]));
            Assert.Equal(-1, trie.Find([(byte)b]));
            Assert.Equal(0, trie.LongestPrefix([(byte)b, (byte)b]));
        }
    }

    [SkippableFact]
    public void EveryCell_LeavesRoomForAStepOnAnyByte_SoTheUncheckedWalkStaysInTheArrays()
    {
        // The documented padding contract (Viterbi and the lattice walks index Nodes[Base + byte] directly).
        TestVocab.Check(Sets, set =>
        {
            PieceTrie trie = Build(set.Pieces, set.Scores);
            Assert.Equal(trie.CellCount, trie.Scores.Length);
            Assert.Equal(trie.CellCount, trie.PieceAt.Length);
            for (int c = 0; c < trie.CellCount; c++)
                Assert.True(trie.Nodes[c].Base + 255 < trie.CellCount, $"cell {c} has base {trie.Nodes[c].Base} of {trie.CellCount} cells");
            // And a step on every byte from every node a piece passes through is either a child or a miss.
            foreach (byte[] p in set.Pieces)
                for (int n = 0; n <= p.Length; n++)
                {
                    int node = trie.Walk(PieceTrie.Root, p.AsSpan(0, n));
                    for (int b = 0; b < 256; b++)
                    {
                        int child = trie.Walk(node, [(byte)b]);
                        Assert.True(child == -1 || trie.Nodes[child].Check == node);
                    }
                }
            return true;
        }, maxTest: 100);
    }

    [SkippableFact]
    public void TheTrieStaysWithinItsDocumentedCellBound_OnRandomPieceSets()
    {
        TestVocab.Check(Sets, set =>
        {
            PieceTrie trie = Build(set.Pieces, set.Scores);
            long bytes = set.Pieces.Sum(p => (long)p.Length);
            Assert.True(trie.CellCount <= PieceTrie.MaxCells(bytes), $"{trie.CellCount} cells for {bytes} piece bytes");
            return true;
        }, maxTest: 300);
    }

    [SkippableFact]
    public void PiecesOfTheLongestAllowedLength_AreFound_AndTheirPrefixesAreNot()
    {
        // ModelLimits.MaxPieceBytes is the longest piece any loader passes to the builder.
        var random = new Random(16384);
        byte[] longest = new byte[ModelLimits.MaxPieceBytes];
        random.NextBytes(longest);
        byte[] sibling = [.. longest];
        sibling[^1] ^= 0xFF; // shares all but the last byte
        byte[] half = longest[..(ModelLimits.MaxPieceBytes / 2)];
        byte[][] pieces = [longest, sibling, half, [longest[0]]];
        PieceTrie trie = Build(pieces, [-1, -2, -3, -4]);

        Assert.Equal(0, trie.Find(longest));
        Assert.Equal(1, trie.Find(sibling));
        Assert.Equal(2, trie.Find(half));
        Assert.Equal(-1, trie.Find(longest.AsSpan(0, ModelLimits.MaxPieceBytes - 1)));
        Assert.Equal(ModelLimits.MaxPieceBytes, trie.LongestPrefix([.. longest, 0x00]));
        Assert.Equal(ModelLimits.MaxPieceBytes / 2, trie.LongestPrefix(longest.AsSpan(0, ModelLimits.MaxPieceBytes - 1)));
        long bytes = pieces.Sum(p => (long)p.Length);
        Assert.True(trie.CellCount <= PieceTrie.MaxCells(bytes), $"{trie.CellCount} cells for {bytes} piece bytes");
    }

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void TwoEqualPieces_AreRefused_NamingBothIndices(int copies)
    {
        TestVocab.Check(Sets.Where(s => s.Pieces.Length > 0), set =>
        {
            var random = new Random(set.Pieces.Length * 31 + copies);
            byte[] twin = set.Pieces[random.Next(set.Pieces.Length)];
            var pieces = set.Pieces.ToList();
            for (int k = 1; k < copies; k++) pieces.Insert(random.Next(pieces.Count + 1), [.. twin]);
            var equal = Enumerable.Range(0, pieces.Count).Where(i => pieces[i].AsSpan().SequenceEqual(twin)).ToHashSet();

            var offsets = new int[pieces.Count + 1];
            for (int i = 0; i < pieces.Count; i++) offsets[i + 1] = offsets[i] + pieces[i].Length;
            PieceTrie? trie = PieceTrie.Build([.. pieces.SelectMany(p => p)], offsets, new double[pieces.Count], out var duplicate);
            Assert.Null(trie);
            Assert.NotEqual(duplicate.First, duplicate.Second);
            Assert.Contains(duplicate.First, equal);
            Assert.Contains(duplicate.Second, equal);
            return true;
        }, maxTest: 100);
    }

    [SkippableFact]
    public void StoredArraysOfABuiltTrie_AreAdopted_AndLookUpTheSame()
    {
        TestVocab.Check(Sets, set =>
        {
            PieceTrie built = Build(set.Pieces, set.Scores);
            var (bytes, offsets) = Flatten(set.Pieces);
            PieceTrie? adopted = PieceTrie.FromArrays([.. built.Nodes], [.. built.PieceAt], bytes, offsets, set.Scores, verify: true, out string? error);
            Assert.True(adopted is not null, error);
            Assert.Equal(built.Scores, adopted.Scores); // every cell: its piece's score, or -infinity
            foreach (byte[] key in Keys(set))
            {
                Assert.Equal(built.Find(key), adopted.Find(key));
                Assert.Equal(built.LongestPrefix(key), adopted.LongestPrefix(key));
                int cell = adopted.Walk(PieceTrie.Root, key);
                if (cell >= 0) Assert.Equal(built.Scores[cell], adopted.Scores[cell]);
            }
            return true;
        }, maxTest: 200);
    }

    public static TheoryData<string> Corruptions => ["root check", "base too large", "check out of range", "pieces swapped", "piece unmarked", "piece index too large", "too few cells"];

    [SkippableTheory]
    [MemberData(nameof(Corruptions))]
    public void CorruptStoredArrays_AreRefused_WithAReason(string corruption)
    {
        byte[][] pieces = [.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b }), [0x61, 0x62], [0x61, 0x62, 0x63], [0xFF, 0x00]];
        double[] scores = [.. Enumerable.Range(0, pieces.Length).Select(i => -1.0 - i)];
        PieceTrie built = Build(pieces, scores);
        TrieNode[] nodes = [.. built.Nodes];
        int[] pieceAt = [.. built.PieceAt];
        int ab = built.Walk(PieceTrie.Root, [0x61, 0x62]), abc = built.Walk(PieceTrie.Root, [0x61, 0x62, 0x63]);
        switch (corruption)
        {
            case "root check": nodes[PieceTrie.Root].Check = -1; break;
            case "base too large": nodes[abc].Base = nodes.Length - 255; break; // a leaf: no piece walks through it, only the range check sees it
            case "check out of range": nodes[abc].Check = nodes.Length; break;
            case "pieces swapped": (pieceAt[ab], pieceAt[abc]) = (pieceAt[abc], pieceAt[ab]); break;
            case "piece unmarked": pieceAt[abc] = -1; break;
            case "piece index too large": pieceAt[abc] = pieces.Length; break;
            default: nodes = nodes[..256]; pieceAt = pieceAt[..256]; break;
        }
        var (bytes, offsets) = Flatten(pieces);
        PieceTrie? adopted = PieceTrie.FromArrays(nodes, pieceAt, bytes, offsets, scores, verify: true, out string? error);
        Assert.Null(adopted);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [SkippableFact]
    public void OverALargeAlphabet_EveryPieceIsReachedByItsLabels_AndNoOtherSequenceIs()
    {
        // Character labels (alphabet > 256) take the builder's other sort and placement paths; the walk is the
        // documented one: the child of s on label c is Base(s) + c when its Check is s.
        const int alphabet = 5000;
        var random = new Random(5000);
        var pieces = new List<int[]>();
        var seen = new HashSet<string>();
        for (int i = 0; i < 3000; i++)
        {
            // Frequent first labels (wide nodes), rare deeper ones spread over the whole alphabet.
            int[] p = [.. Enumerable.Range(0, random.Next(1, 5)).Select(d => d == 0 ? random.Next(40) : random.Next(alphabet))];
            if (seen.Add(string.Join(",", p))) pieces.Add(p);
        }
        var offsets = new int[pieces.Count + 1];
        for (int i = 0; i < pieces.Count; i++) offsets[i + 1] = offsets[i] + pieces[i].Length;
        double[] scores = [.. Enumerable.Range(0, pieces.Count).Select(i => -(double)i)];
        PieceTrie? trie = PieceTrie.Build([.. pieces.SelectMany(p => p)], offsets, scores, alphabet, out _);
        Assert.NotNull(trie);

        int Walk(IEnumerable<int> labels)
        {
            int node = PieceTrie.Root;
            foreach (int c in labels)
            {
                Assert.True(trie.Nodes[node].Base + c < trie.CellCount, "a step left the padded arrays");
                int t = trie.Nodes[node].Base + c;
                if (trie.Nodes[t].Check != node) return -1;
                node = t;
            }
            return node;
        }

        for (int i = 0; i < pieces.Count; i++)
        {
            int cell = Walk(pieces[i]);
            Assert.True(cell >= 0 && trie.PieceAt[cell] == i && trie.Scores[cell] == scores[i], $"piece {i} ({string.Join(",", pieces[i])}) at cell {cell}");
        }
        // A cell is reached by one label sequence only, so no other sequence reaches a piece.
        Assert.Equal(pieces.Count, trie.PieceAt.Count(p => p >= 0));
    }

    private static (byte[] Bytes, int[] Offsets) Flatten(byte[][] pieces)
    {
        var offsets = new int[pieces.Length + 1];
        for (int i = 0; i < pieces.Length; i++) offsets[i + 1] = offsets[i] + pieces[i].Length;
        return ([.. pieces.SelectMany(p => p)], offsets);
    }
}
