using System.Text;
using BytePiece.Cli;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// The lazy n-best search (issue 19, item 4): exactly the lists the eager search gave (same paths, same
/// order, bitwise the same scores) for every model kind; time near linear in k and in the text; the
/// state a few numbers per position for small k; cancellable; and a k beyond the number of
/// segmentations returns them all, while a k that cannot fit is refused with a clear message.
/// </summary>
[Collection(GrowthRatio.Collection)]
public class NBestSearchTests(ITestOutputHelper output)
{
    private static readonly string Spm = SentencePiecePeer.ModelPath("test_model.model");

    /// <summary>The search as it was before: every position keeps its k best paths (insertion into sorted lists).</summary>
    private static List<(int[] Pieces, double LogProb)> Eager(LatticeGraph g, int k)
    {
        int n = g.Length;
        var lists = new List<(double Score, int Start, int Piece, int PrefixRank)>[n + 1];
        lists[0] = [(0, -1, -1, -1)];
        static bool Better((double Score, int Start, int, int PrefixRank) a, (double Score, int Start, int, int PrefixRank) b)
            => a.Score != b.Score ? a.Score > b.Score : a.Start != b.Start ? a.Start < b.Start : a.PrefixRank < b.PrefixRank;
        for (int s = 0; s < n; s++)
        {
            var from = lists[s];
            if (from is null) continue;
            for (int edge = g.First[s]; edge < g.First[s + 1]; edge++)
            {
                var to = lists[g.End[edge]] ??= [];
                for (int r = 0; r < from.Count; r++)
                {
                    var candidate = (from[r].Score + g.Score[edge], s, g.Piece[edge], r);
                    int at = to.Count;
                    while (at > 0 && Better(candidate, to[at - 1])) at--;
                    if (at >= k) break;
                    to.Insert(at, candidate);
                    if (to.Count > k) to.RemoveAt(k);
                }
            }
        }
        var result = new List<(int[], double)>();
        var last = lists[n] ?? [];
        for (int r = 0; r < last.Count; r++)
        {
            var pieces = new List<int>();
            for (int position = n, rank = r; position > 0;)
            {
                var entry = lists[position][rank];
                pieces.Add(entry.Piece);
                (position, rank) = (entry.Start, entry.PrefixRank);
            }
            pieces.Reverse();
            result.Add((pieces.ToArray(), last[r].Score));
        }
        return result;
    }

    private static void AssertSame(List<(int[] Pieces, double LogProb)> expected, IReadOnlyList<(int[] Pieces, double LogProb)> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} paths, expected {expected.Count}");
        for (int r = 0; r < expected.Count; r++)
        {
            Assert.True(expected[r].Pieces.SequenceEqual(actual[r].Pieces), $"{what}: rank {r} differs");
            Assert.True(BitConverter.DoubleToInt64Bits(expected[r].LogProb) == BitConverter.DoubleToInt64Bits(actual[r].LogProb), $"{what}: rank {r} score {actual[r].LogProb:R}, expected {expected[r].LogProb:R}");
        }
    }

    private static List<string> Snippets(int count, int maxLength, int seed)
    {
        var random = new Random(seed);
        string text = Encoding.UTF8.GetString(SharedData.Corpus("en", 200_000)) + Encoding.UTF8.GetString(SharedData.Corpus("zh", 50_000));
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            int start = random.Next(text.Length - maxLength);
            return text.Substring(start, random.Next(1, maxLength)).Replace("\uFFFD", "");
        })];
    }

    [SkippableFact]
    public void LazySearch_GivesTheEagerLists_ForBytePieceAndSentencePieceLattices()
    {
        var bp = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var spm = SentencePieceTokenizer.Load(Spm);
        int[] ks = [1, 2, 3, 7, 40, 300];
        foreach (string text in Snippets(60, 40, 20261203))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            byte[] normalized = Encoding.UTF8.GetBytes(spm.Normalize(text));
            foreach (int k in ks)
            {
                var g = new LatticeGraph(bp.Model, bytes);
                AssertSame(Eager(g, k), NBest.Run(g, k), $"BytePiece \"{text}\" k {k}");
                var s = LatticeGraph.ForSentencePiece(spm.Model, normalized);
                AssertSame(Eager(s, k), NBest.Run(s, k), $"spm \"{text}\" k {k}");
            }
        }
    }

    [SkippableFact]
    public void TokenizerJsonNBest_IsTheBestCombinationsOfEachWordsList_InTheEagerOrder()
    {
        var (_, hf) = HuggingFaceLatticeTests.Models();
        var random = new Random(7);
        string[] words = [.. Encoding.UTF8.GetString(SharedData.Corpus("en", 20_000)).Split(' ', '\n').Where(w => w.Length is > 0 and < 12 && !w.Contains('\uFFFD'))];
        for (int t = 0; t < 40; t++)
        {
            string[] chosen = [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => words[random.Next(words.Length)])];
            foreach (int k in new[] { 1, 3, 10, 100 })
            {
                // The eager fold: the k best sums of (best so far) x (next word), ties by the earlier ranks.
                var combined = new List<(List<int> Ids, double Score)> { ([], 0) };
                foreach (string word in chosen)
                {
                    var options = hf.NBest(word, k);
                    combined = [.. combined.SelectMany((c, i) => options.Select((o, j) => (Ids: c.Ids.Concat(o.Ids).ToList(), Score: c.Score + o.LogProb, i, j)))
                        .OrderByDescending(x => x.Score).ThenBy(x => x.i).ThenBy(x => x.j).Take(k).Select(x => (x.Ids, x.Score))];
                }
                var actual = hf.NBest(string.Join(" ", chosen), k);
                AssertSame([.. combined.Select(c => (c.Ids.ToArray(), c.Score))], [.. actual.Select(a => (a.Ids.ToArray(), a.LogProb))], $"\"{string.Join(" ", chosen)}\" k {k}");
            }
        }
    }

    [SkippableFact]
    public void Time_GrowsNearLinearlyInK_ForEveryModelKind()
    {
        string text = Encoding.UTF8.GetString(SharedData.Corpus("en", 1_000));
        var bp = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var spm = SentencePieceTokenizer.Load(Spm);
        var (_, hf) = HuggingFaceLatticeTests.Models();
        foreach (var (name, run, k) in new (string, Action<int>, int)[]
        {
            ("BytePiece", k => bp.NBest(text, k), 2_000),
            ("spm", k => spm.NBest(text, k), 2_000),
            ("tokenizer.json", k => hf.NBest(text, k), 1_000),
        })
        {
            double ratio = GrowthRatio.OfFourTimes(k, run);
            output.WriteLine($"{name}: k {k} -> {4 * k}, time x {ratio:F2}");
            Assert.True(ratio < 10, $"{name}: four times k took {ratio:F1} times as long (k^2 work gives 16)");
        }
    }

    [SkippableFact]
    public void Time_GrowsLinearlyInTheText_WithSmallK()
    {
        string text = Encoding.UTF8.GetString(SharedData.Corpus("en", 400_000));
        var bp = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var (_, hf) = HuggingFaceLatticeTests.Models();
        foreach (var (name, n, run) in new (string, int, Action<int>)[]
        {
            ("BytePiece", 50_000, n => bp.NBest(text[..n], 5)),
            ("tokenizer.json", 30_000, n => hf.NBest(text[..n], 5)),
        })
        {
            double ratio = GrowthRatio.OfFourTimes(n, run);
            output.WriteLine($"{name}: {n:N0} -> {4 * n:N0} chars, k 5, time x {ratio:F2}");
            Assert.True(ratio < 10, $"{name}: four times the text took {ratio:F1} times as long");
        }
    }

    [SkippableFact]
    public void Memory_ForALongLineWithSmallK_IsHalfTheEagerSearchs()
    {
        // Allocated bytes of the search over a long line's lattice (three edges per byte, built beforehand):
        // the eager search allocated 390 bytes per input byte at k = 5 (k entries at every position).
        byte[] line = SharedData.LongLine("en", 1 << 19);
        var graph = new LatticeGraph(SharedData.Tokenizer("bytepiece.eu.plus.40k.model").Model, line);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(5, NBest.Run(graph, 5).Count);
        double perByte = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)line.Length;
        output.WriteLine($"n-best search of 512 KB at k = 5: {perByte:F0} bytes allocated per input byte");
        Assert.True(perByte < 200, $"{perByte:F0} bytes per input byte");
    }

    [SkippableFact]
    public void ACancelledToken_StopsTheSearch_AndTheCliExits130()
    {
        string text = Encoding.UTF8.GetString(SharedData.Corpus("en", 2_000));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SharedData.Tokenizer("bytepiece.eu.plus.40k.model").NBest(text, 1_000_000, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => SentencePieceTokenizer.Load(Spm).NBest(text, 1_000_000, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => HuggingFaceLatticeTests.Models().Hf.NBest(text, 1_000_000, cancelled.Token));

        using var later = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var started = System.Diagnostics.Stopwatch.StartNew();
        int code = CliApp.Run(["nbest", "--model", SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"), "--k", "500000", text],
            new MemoryStream(), stdout, stderr, later.Token);
        Assert.Equal(130, code);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"stopped after {started.Elapsed}");
    }

    [SkippableFact]
    public void AKBeyondTheSegmentations_ReturnsThemAll_AndAKThatCannotFit_IsRefusedWithExit1()
    {
        var bp = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var all = bp.NBest("watching", int.MaxValue);
        Assert.Equal(all.Count, bp.NBest("watching", all.Count + 1).Count);
        Assert.Equal(all.Count, all.Select(s => string.Join(" ", s.Ids)).Distinct().Count());
        var (_, hf) = HuggingFaceLatticeTests.Models();
        Assert.True(hf.NBest("hello world", int.MaxValue).Count == hf.NBest("hello", 1000).Count * hf.NBest("world", 1000).Count);

        string text = Encoding.UTF8.GetString(SharedData.Corpus("en", 1_000));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => bp.NBest(text, int.MaxValue));
        foreach (string model in new[] { SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"), Spm })
        {
            var (code, stdout, stderr) = CliRunner.Run(text, "nbest", "--model", model, "--k", "2147483647");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains("--k 2147483647", stderr);
            var small = CliRunner.Run("", "nbest", "hello", "--model", model, "--k", "2147483647");
            Assert.Equal(0, small.Code);
            Assert.True(small.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1);
        }
    }
}
