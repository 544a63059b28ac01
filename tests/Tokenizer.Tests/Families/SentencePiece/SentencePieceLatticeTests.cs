using System.Globalization;
using System.Text;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Sampling, n-best and entropy for SentencePiece models: the sampler's draws follow the exact
/// <c>exp(alpha * score) / Z</c> over a brute-force enumeration (chi-square, fixed seeds, p &gt; 1e-3), and so
/// do spm's own draws (same meaning of alpha); entropy equals spm's <c>calculate_entropy</c>; the n-best
/// lists hold spm's <c>nbest_encode</c> segmentations and scores, in its order except within ties (scores
/// equal to float precision), whose order is spm's heap's.
/// </summary>
public class SentencePieceLatticeTests(ITestOutputHelper output)
{
    private const int Draws = 100_000;
    private const double Significance = 1e-3;

    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5)]
    [InlineData("test_model.model", "telescope", 1.0)]
    [InlineData("test_model.model", "I saw", 0.1)]
    [InlineData("test_ja_model.model", "吾輩は猫である。名前", 0.5)]
    [InlineData("test_ja_model.model", "名前はまだ無い。", 0.2)]
    public void Sampling_FollowsExactDistribution_OursAndSpms(string model, string text, double alpha)
    {
        string path = SentencePiecePeer.SharedModelPath(model);
        var tokenizer = SentencePieceTokenizer.Load(path);
        Dictionary<string, double> exact = ExactDistribution(tokenizer, text, alpha);
        Assert.True(exact.Count >= 4, $"only {exact.Count} segmentations: the test would have no power");
        var (pOurs, _, df) = SentencePieceSamplerTests.DrawsAgainst(exact, tokenizer, text, alpha, Draws, seed: 20261201);

        const string script = """
            import sys, collections, sentencepiece as spm
            spm.set_random_generator_seed(20261201)
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            text, alpha, n = open(sys.argv[2], encoding='utf-8').read().split('\t')
            counts = collections.Counter(' '.join(map(str, sp.encode(text, enable_sampling=True, alpha=float(alpha), nbest_size=-1))) for _ in range(int(n)))
            for k, v in counts.items(): print(f'{k}\t{v}')
            """;
        var spm = SentencePiecePeer.RunPython(script, path, $"{text}\t{alpha.ToString(CultureInfo.InvariantCulture)}\t{Draws}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(f => f[0], f => long.Parse(f[1]));
        var (pSpm, _, _) = Statistics.ChiSquare([.. exact.Select(e => (e.Value, spm.GetValueOrDefault(e.Key)))], Draws);
        output.WriteLine($"{text} alpha {alpha}: {exact.Count} segmentations, df {df}; ours p = {pOurs:G3}, spm's own sampler p = {pSpm:G3}");
        Assert.True(pOurs > Significance, $"our draws do not follow exp(alpha S)/Z: p = {pOurs}");
        Assert.True(pSpm > Significance, $"spm's draws do not follow the distribution we compute (alpha means something else?): p = {pSpm}");
    }

    [SkippableTheory]
    [InlineData("test_model.model", "hello world")]
    [InlineData("test_model.model", "a𐈀𐈀b telescope")]
    [InlineData("test_ja_model.model", "吾輩は猫である。名前")]
    public void Sampler_WhiteBox_HoldProbabilitiesAlongEveryPath_MultiplyToTheExactProbability(string model, string text)
    {
        var tokenizer = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath(model));
        SentencePieceModel m = tokenizer.Model;
        byte[] normalized = Encoding.UTF8.GetBytes(tokenizer.Normalize(text));
        foreach (double alpha in new[] { 0.0, 0.3, 1.0, 5.0, 50.0 }) // 50 takes the log-domain path on both models
        {
            var recorder = new SamplingTests.Recorder();
            var scratch = new SentencePieceScratch();
            SentencePieceSampler.Solve(m, normalized, scratch, alpha, recorder);
            // Edges are named by cells of the trie the walk used (characters on valid text, else bytes).
            int[] pieceAt = scratch.BackTrie!.PieceAt;
            var paths = EnumeratePaths(tokenizer, text, alpha);
            double total = 0;
            foreach (var (ids, probability) in paths)
            {
                // The reservoir entries of this path: (end, trie cell) per piece, (end, ~length) per unknown.
                double product = 1;
                int position = 0;
                foreach (int id in ids)
                {
                    int length = id == m.UnknownId ? SentencePieceLattice.OneCharLength(normalized[position]) : m.GetPieceBytes(id).Length;
                    int edge = id == m.UnknownId ? ~length : Array.IndexOf(pieceAt, Array.IndexOf(m.TrieIds, id));
                    position += length;
                    product *= recorder.Holds(position, edge);
                }
                Assert.True(Math.Abs(product - probability) <= 1e-12 + 1e-9 * probability, $"alpha {alpha} path [{string.Join(" ", ids)}]: {product} vs {probability}");
                total += product;
            }
            Assert.True(Math.Abs(total - 1) < 1e-9, $"alpha {alpha}: the paths' probabilities sum to {total}");
            output.WriteLine($"{text} alpha {alpha}: {paths.Count} paths, hold probabilities multiply to exp(alpha S)/Z on each");
        }
    }

    [SkippableTheory]
    [InlineData("test_model.model")]
    [InlineData("nmt_nfkc")]
    [InlineData("nfkc_byte_fallback")]
    public void Entropy_EqualsSpmCalculateEntropy(string name)
    {
        string path = SentencePiecePeer.ModelPath(name);
        var tokenizer = SentencePieceTokenizer.Load(path);
        List<string> lines = ValidLines(200);
        const string script = """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            for line in open(sys.argv[2], encoding='utf-8').read().split('\n')[:-1]:
                print(' '.join(repr(sp.calculate_entropy(line, a)) for a in (0.1, 0.5, 1.0)))
            """;
        var expected = SentencePiecePeer.RunPython(script, path, string.Concat(lines.Select(l => l + "\n")))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(lines.Count, expected.Count);
        double worst = 0;
        for (int i = 0; i < lines.Count; i++)
            for (int a = 0; a < 3; a++)
            {
                double alpha = new[] { 0.1, 0.5, 1.0 }[a];
                double ours = tokenizer.Entropy(lines[i], alpha), theirs = expected[i][a];
                double error = Math.Abs(ours - theirs) / Math.Max(1, Math.Abs(theirs));
                worst = Math.Max(worst, error);
                // spm accumulates in float32 with a log-sum-exp that drops terms 50 below the max; its values
                // carry ~1e-5 relative error (Entropy_IsExact_AgainstBruteForce shows ours is the exact one).
                Assert.True(error <= 1e-4, $"line {i} alpha {alpha}: ours {ours}, spm {theirs}");
            }
        output.WriteLine($"{name}: entropy of {lines.Count} lines at 3 alphas, worst relative difference from spm {worst:G3}");
    }

    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 1.0)]
    [InlineData("test_model.model", "telescope", 0.5)]
    [InlineData("test_ja_model.model", "吾輩は猫である。名前", 1.0)]
    public void Entropy_IsExact_AgainstBruteForce(string model, string text, double alpha)
    {
        string path = SentencePiecePeer.SharedModelPath(model);
        var tokenizer = SentencePieceTokenizer.Load(path);
        double exact = -EnumeratePaths(tokenizer, text, alpha).Sum(p => p.Probability * Math.Log(p.Probability));
        double ours = tokenizer.Entropy(text, alpha);
        const string script = """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            text, alpha = open(sys.argv[2], encoding='utf-8').read().split('\t')
            print(repr(sp.calculate_entropy(text, float(alpha))))
            """;
        double spm = double.Parse(SentencePiecePeer.RunPython(script, path, $"{text}\t{alpha.ToString(CultureInfo.InvariantCulture)}"), CultureInfo.InvariantCulture);
        output.WriteLine($"{text} alpha {alpha}: brute force {exact:R}, ours {ours:R} (off by {Math.Abs(ours - exact):G2}), spm {spm:R} (off by {Math.Abs(spm - exact):G2})");
        Assert.True(Math.Abs(ours - exact) <= 1e-9 * Math.Max(1, exact), $"ours {ours} vs brute force {exact}");
    }

    [SkippableTheory]
    [InlineData("test_model.model")]
    [InlineData("test_ja_model.model")]
    [InlineData("nfkc_byte_fallback")]
    public void NBest_HasSpmNBestEncodesSegmentationsAndScores_InItsOrderBeyondFloatTies(string name)
    {
        string path = SentencePiecePeer.ModelPath(name);
        List<string> lines = ValidLines(60).Where(l => l.Length < 200).ToList();
        var (entries, runs, otherOrder, cut) = AssertNBestLikeSpm(SentencePieceTokenizer.Load(path), path, lines, 5);
        output.WriteLine($"{name}: {entries} n-best entries (k = 5) on {lines.Count} lines equal spm's up to ties; {runs} tie runs, {otherOrder} in another order; lists ending in a tie cut at other members: {cut}");
    }

    /// <summary>
    /// With k up to 200 the lists are deep in ties (the same pieces in another order have the same score):
    /// words and short lines of Google's own texts, and the issue's case ("interesting", k = 167). spm's
    /// order inside a tie is its float rounding and its heap's (its A* pops equal priorities in heap order,
    /// and its float sums do not even keep its list sorted by its own scores), so no rule of ours can be
    /// its; what holds is checked exactly: the same segmentations with the same scores, in the same order
    /// wherever the scores differ by more than float precision.
    /// </summary>
    [SkippableTheory]
    [InlineData("test_model.model")]
    [InlineData("test_ja_model.model")]
    public void NBest_WithLargeK_HasSpmsSegmentationsAndScores_OrderDifferingOnlyWithinTies(string name)
    {
        Prerequisites.Require(Prerequisite.SentencePiecePython);
        string path = SentencePiecePeer.SharedModelPath(name);
        var tokenizer = SentencePieceTokenizer.Load(path);
        string text = File.ReadAllText(SentencePiecePeer.SharedModelPath(name == "test_model.model" ? "botchan.txt" : "wagahaiwa_nekodearu.txt"));
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length is >= 5 and <= 40).Take(100).ToList();
        if (name == "test_model.model")
            lines.AddRange(System.Text.RegularExpressions.Regex.Matches(text, "[A-Za-z]{5,14}").Select(m => m.Value).Distinct().Take(300));
        var (entries, runs, otherOrder, cut) = AssertNBestLikeSpm(tokenizer, path, lines, 200);
        output.WriteLine($"{name}: {entries} n-best entries (k = 200) on {lines.Count} texts equal spm's up to ties; {runs} tie runs, {otherOrder} in another order; lists ending in a tie cut at other members: {cut}");
        if (name == "test_model.model")
        {
            (entries, runs, otherOrder, cut) = AssertNBestLikeSpm(tokenizer, path, ["interesting"], 167);
            output.WriteLine($"\"interesting\", k = 167: {entries} entries, {runs} tie runs, {otherOrder} in another order; ending in a tie cut at other members: {cut}");
        }
    }

    /// <summary>
    /// Asserts that our n-best lists hold spm's <c>nbest_encode</c> segmentations with its scores, in its
    /// order except within a run of scores equal to float precision (spm sums float32 scores from the end,
    /// n pieces at most n * 2^-24 relative off, and its A* orders by such sums, so two paths can trade places
    /// only within twice that): each run holds the same segmentations, except the last one of a list cut at k,
    /// where the tie may be cut at other members. Returns the entries compared, the runs of two or more,
    /// how many of those runs are in another order, and how many lists end in a tie cut at other members.
    /// </summary>
    private static (int Entries, int Runs, int OtherOrder, int CutOtherwise) AssertNBestLikeSpm(SentencePieceTokenizer tokenizer, string path, List<string> lines, int k)
    {
        string script = $$"""
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            for line in open(sys.argv[2], encoding='utf-8').read().split('\n')[:-1]:
                p = sp.nbest_encode_as_immutable_proto(line, {{k}})
                print('|'.join(repr(n.score) + ':' + ' '.join(str(x.id) for x in n.pieces) for n in p.nbests))
            """;
        var expected = SentencePiecePeer.RunPython(script, path, string.Concat(lines.Select(l => l + "\n"))).Split('\n').SkipLast(1).ToList();
        Assert.Equal(lines.Count, expected.Count);
        int entries = 0, runs = 0, otherOrder = 0, cutOtherwise = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            var theirs = expected[i].Split('|').Select(n => n.Split(':')).Select(f => (Score: double.Parse(f[0], CultureInfo.InvariantCulture), Ids: f[1])).ToList();
            var ours = tokenizer.NBest(lines[i], k).Select(s => (Score: s.LogProb, Ids: string.Join(" ", s.Ids))).ToList();
            Assert.True(theirs.Count == ours.Count, $"\"{lines[i]}\": {ours.Count} segmentations, spm {theirs.Count}");
            int pieces = ours.Concat(theirs).Max(e => e.Ids.Split(' ').Length);
            double Tolerance(double score) => 2.0 * (pieces + 1) * Math.Pow(2, -24) * Math.Max(1, Math.Abs(score));
            for (int r = 0; r < ours.Count; r++)
                Assert.True(Math.Abs(ours[r].Score - theirs[r].Score) <= Tolerance(theirs[r].Score), $"\"{lines[i]}\" rank {r}: score {ours[r].Score:R}, spm {theirs[r].Score:R}");
            for (int start = 0, end; start < ours.Count; start = end + 1)
            {
                end = start;
                while (end + 1 < ours.Count
                       && (Math.Abs(ours[end + 1].Score - ours[end].Score) <= Tolerance(ours[end].Score)
                           || Math.Abs(theirs[end + 1].Score - theirs[end].Score) <= Tolerance(theirs[end].Score)))
                    end++;
                var ourRun = ours[start..(end + 1)].Select(e => e.Ids).ToList();
                var theirRun = theirs[start..(end + 1)].Select(e => e.Ids).ToList();
                if (end > start)
                {
                    runs++;
                    if (!ourRun.SequenceEqual(theirRun)) otherOrder++;
                }
                bool sameMembers = ourRun.Order(StringComparer.Ordinal).SequenceEqual(theirRun.Order(StringComparer.Ordinal));
                if (end == ours.Count - 1 && ours.Count == k)
                    cutOtherwise += sameMembers ? 0 : 1;
                else
                    Assert.True(sameMembers, $"\"{lines[i]}\" ranks {start}..{end}: [{string.Join("; ", ourRun)}], spm [{string.Join("; ", theirRun)}]");
            }
            entries += ours.Count;
        }
        return (entries, runs, otherOrder, cutOtherwise);
    }

    private static List<string> ValidLines(int perSource)
        => SentencePiecePeer.TextLines(perSource).Where(l => !l.Contains('\r') && l.Length < 2000).ToList();

    /// <summary>The exact distribution of encodings (paths with unknown runs merged, as the tokenizer reports them).</summary>
    internal static Dictionary<string, double> ExactDistribution(SentencePieceTokenizer tokenizer, string text, double alpha)
    {
        int unknown = tokenizer.Model.UnknownId;
        var result = new Dictionary<string, double>();
        foreach (var (ids, probability) in EnumeratePaths(tokenizer, text, alpha))
        {
            string key = string.Join(" ", ids.Where((id, i) => !(id == unknown && i > 0 && ids[i - 1] == unknown)));
            result[key] = result.GetValueOrDefault(key) + probability;
        }
        return result;
    }

    /// <summary>
    /// Every segmentation of the normalized text by brute force (pieces found by PieceToId on every span
    /// between character starts, unknown nodes where no one-character piece exists), with exact probabilities.
    /// </summary>
    internal static List<(List<int> Ids, double Probability)> EnumeratePaths(SentencePieceTokenizer tokenizer, string text, double alpha)
    {
        SentencePieceModel model = tokenizer.Model;
        byte[] normalized = Encoding.UTF8.GetBytes(tokenizer.Normalize(text));
        var starts = new List<int>();
        for (int i = 0; i < normalized.Length; i++) if ((normalized[i] & 0xC0) != 0x80) starts.Add(i);
        starts.Add(normalized.Length);
        var paths = new List<(List<int> Ids, double Score)>();
        void Walk(int s, List<int> ids, double score)
        {
            if (s == starts.Count - 1)
            {
                paths.Add((new List<int>(ids), score));
                return;
            }
            bool single = false;
            for (int e = s + 1; e < starts.Count; e++)
            {
                string piece = Encoding.UTF8.GetString(normalized, starts[s], starts[e] - starts[s]);
                int id = model.PieceToId(piece);
                if (id == model.UnknownId || model.GetPieceType(id) != SentencePieceType.Normal) continue;
                single |= e == s + 1;
                ids.Add(id);
                Walk(e, ids, score + model.GetScore(id));
                ids.RemoveAt(ids.Count - 1);
            }
            if (single) return;
            ids.Add(model.UnknownId);
            Walk(s + 1, ids, score + (model.MinScore - 10f));
            ids.RemoveAt(ids.Count - 1);
        }
        Walk(0, [], 0);
        double max = paths.Max(p => alpha * p.Score);
        double z = paths.Sum(p => Math.Exp(alpha * p.Score - max));
        return paths.Select(p => (p.Ids, Math.Exp(alpha * p.Score - max) / z)).ToList();
    }
}
