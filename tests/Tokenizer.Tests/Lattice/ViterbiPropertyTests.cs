using Xunit;

namespace BytePiece.Tests;

/// <summary>Viterbi against brute force on random small vocabularies, and the byte API's invariants.</summary>
public class ViterbiPropertyTests
{
    [SkippableFact]
    public void Viterbi_EqualsBruteForceArgmax_WithTheLongestLastPieceTieRule()
    {
        TestVocab.Check(TestVocab.Case(maxTextLength: 10), c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (byte[] text in c.Texts)
            {
                int[] expected = BruteForce.Encode(c.Model, text);
                int[] actual = tokenizer.EncodeBytes(text);
                if (!expected.SequenceEqual(actual)) return false;
            }
            return true;
        }, maxTest: 500);
    }

    [SkippableFact]
    public void BruteForce_HasPower_ItRejectsTheShortestLastPieceTieRule()
    {
        // The brute-force oracle must tell the tie rules apart: with every count equal, "ab" as [a][b]
        // and [ab] differ in score, but "abc" with pieces ab, bc ties [ab][c] against [a][bc].
        var model = UnigramModel.FromCounts(Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], 1))
            .Append(new("ab"u8.ToArray(), 1)).Append(new("bc"u8.ToArray(), 1)));
        int[] ids = new BytePieceTokenizer(model).EncodeBytes("abc"u8);
        Assert.Equal(BruteForce.Encode(model, "abc"u8.ToArray()), ids);
        model.TryGetId("bc"u8, out int bc);
        Assert.Equal(bc, ids[^1]); // the longer last piece [bc] wins the tie
    }

    [SkippableFact]
    public void DecodeBytes_OfEncodeBytes_IsTheInput()
    {
        TestVocab.Check(TestVocab.Case(maxTextLength: 40), c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            return c.Texts.All(t => tokenizer.DecodeBytes(tokenizer.EncodeBytes(t)).AsSpan().SequenceEqual(t));
        });
    }

    [SkippableFact]
    public void Tokens_NeverCrossAChunkBoundary()
    {
        TestVocab.Check(TestVocab.Case(maxTextLength: 30), c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (byte[] text in c.Texts)
            {
                var boundaries = new HashSet<int>();
                for (int i = 1; i < text.Length; i++) if (text[i - 1] == '\n' && text[i] != '\n') boundaries.Add(i);
                int pos = 0;
                foreach (int id in tokenizer.EncodeBytes(text))
                {
                    int end = pos + c.Model.GetPieceBytes(id).Length;
                    for (int b = pos + 1; b < end; b++) if (boundaries.Contains(b)) return false;
                    pos = end;
                }
            }
            return true;
        });
    }

    [SkippableFact]
    public void SpanOverload_ResumedAfterDestinationTooSmall_GivesTheSameIds()
    {
        TestVocab.Check(TestVocab.Case(maxTextLength: 30), c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (byte[] text in c.Texts)
            {
                int[] expected = tokenizer.EncodeBytes(text, addBeginningOfSentence: true, addEndOfSentence: true);
                var collected = new List<int>();
                int[] destination = new int[1];
                ReadOnlySpan<byte> rest = text;
                bool first = true;
                while (true)
                {
                    var status = tokenizer.EncodeBytes(rest, destination, out int consumed, out int written, addBeginningOfSentence: first, addEndOfSentence: true);
                    collected.AddRange(destination[..written]);
                    rest = rest[consumed..];
                    if (written > 0) first = false;
                    if (status == System.Buffers.OperationStatus.Done) break;
                    if (written == 0) destination = new int[destination.Length * 2]; // no room for the next chunk: grow
                }
                if (!expected.SequenceEqual(collected)) return false;
            }
            return true;
        });
    }

    [SkippableFact]
    public void CountTokens_EqualsTheNumberOfIds()
    {
        TestVocab.Check(TestVocab.Case(maxTextLength: 30), c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            return c.Texts.All(t => tokenizer.CountTokens(t.AsSpan(), addBeginningOfSentence: true) == tokenizer.EncodeBytes(t).Length + 1);
        });
    }
}

/// <summary>
/// The oracle: enumerate every segmentation of each chunk and take the best under the specification's
/// order: higher score (left-to-right double sum of logp) first; among equal scores the longer last
/// piece; then the same rule on the prefix before it.
/// </summary>
internal static class BruteForce
{
    public static int[] Encode(UnigramModel model, byte[] text)
    {
        var ids = new List<int>();
        int pos = 0;
        while (pos < text.Length)
        {
            int end = pos;
            while (end < text.Length && text[end] != '\n') end++;
            while (end < text.Length && text[end] == '\n') end++;
            ids.AddRange(Best(model, text[pos..end]));
            pos = end;
        }
        return [.. ids];
    }

    private static List<int> Best(UnigramModel model, byte[] chunk)
    {
        List<int>? best = null;
        foreach (var seg in All(model, chunk, 0))
            if (best is null || Compare(model, seg, best) > 0) best = seg;
        return best!;
    }

    internal static IEnumerable<List<int>> All(UnigramModel model, byte[] chunk, int start = 0)
    {
        if (start == chunk.Length)
        {
            yield return [];
            yield break;
        }
        for (int end = start + 1; end <= chunk.Length; end++)
        {
            if (!model.TryGetId(chunk.AsSpan(start, end - start), out int id)) continue;
            foreach (var rest in All(model, chunk, end))
            {
                rest.Insert(0, id);
                yield return rest;
            }
        }
    }

    internal static double Score(UnigramModel model, List<int> seg, int count)
    {
        double s = 0;
        for (int i = 0; i < count; i++) s += model.GetLogProb(seg[i]);
        return s;
    }

    /// <summary>Compares two segmentations of the same bytes, using their first <paramref name="a"/>.Count tokens.</summary>
    internal static int Compare(UnigramModel model, List<int> a, List<int> b) => Compare(model, a, a.Count, b, b.Count);

    private static int Compare(UnigramModel model, List<int> a, int na, List<int> b, int nb)
    {
        if (na == 0 || nb == 0) return 0;
        int byScore = Score(model, a, na).CompareTo(Score(model, b, nb));
        if (byScore != 0) return byScore;
        int la = model.GetPieceBytes(a[na - 1]).Length, lb = model.GetPieceBytes(b[nb - 1]).Length;
        if (la != lb) return la.CompareTo(lb);
        return Compare(model, a, na - 1, b, nb - 1);
    }
}
