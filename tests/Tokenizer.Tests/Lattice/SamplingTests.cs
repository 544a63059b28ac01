using BytePiece.Testing;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The sampler draws exactly from P^alpha / Z: checked white-box (the reservoir's choice probabilities
/// along every path multiply to the target) and black-box (chi-square, with a biased sampler as the
/// negative control). Plus n-best, entropy and marginals against brute force.
/// </summary>
public class SamplingTests
{
    private static readonly double[] Alphas = [0, 0.1, 1, 5];

    /// <summary>Plus 100, whose edge weights do not fit the sampler's linear path, so its log-domain path is checked too.</summary>
    private static readonly double[] SamplerAlphas = [.. Alphas, 100];

    /// <summary>Random vocabularies and single-chunk texts of up to 10 bytes (newlines turned into 'a').</summary>
    private static Gen<VocabCase> SmallCases =>
        TestVocab.Case(maxTextLength: 10).Select(c => c with { Texts = c.Texts.Select(t => t.Select(b => b == '\n' ? (byte)'a' : b).ToArray()).ToArray() });

    /// <summary>Every segmentation of a chunk with its score S(w) (left-to-right sum of logp).</summary>
    private static List<(List<int> Ids, double Score)> Enumerate(UnigramModel model, byte[] chunk)
        => BruteForce.All(model, chunk).Select(ids => (ids, BruteForce.Score(model, ids, ids.Count))).ToList();

    private static double LogSumExp(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double max = v.Max();
        return max + Math.Log(v.Sum(x => Math.Exp(x - max)));
    }

    internal sealed class Recorder : IReservoirChoice
    {
        public readonly Dictionary<int, List<(int Cell, double P)>> ByEnd = [];

        public bool Accept(int end, int cell, double weight, double total)
        {
            (ByEnd.TryGetValue(end, out var list) ? list : ByEnd[end] = []).Add((cell, weight / total));
            return weight >= total;
        }

        /// <summary>Probability that the reservoir at <paramref name="end"/> ends up holding <paramref name="cell"/>.</summary>
        public double Holds(int end, int cell)
        {
            var list = ByEnd[end];
            int j = list.FindIndex(c => c.Cell == cell);
            double p = list[j].P;
            for (int l = j + 1; l < list.Count; l++) p *= 1 - list[l].P;
            return p;
        }
    }

    [SkippableFact]
    public void WhiteBox_ChoiceProbabilitiesAlongEveryPath_MultiplyToPAlphaOverZ()
    {
        TestVocab.Check(SmallCases, c =>
        {
            foreach (byte[] text in c.Texts.Where(t => t.Length > 0))
            {
                var segs = Enumerate(c.Model, text);
                foreach (double alpha in SamplerAlphas)
                {
                    double logZ = LogSumExp(segs.Select(s => alpha * s.Score));
                    var recorder = new Recorder();
                    var scratch = LatticeScratch.Rent(text.Length);
                    Sampler.Solve(c.Model, text, scratch, alpha, ref recorder);
                    double forwardLogZ = scratch.Best[text.Length];
                    LatticeScratch.Return(scratch);
                    if (Math.Abs(forwardLogZ - logZ) > 1e-12 * Math.Max(1, Math.Abs(logZ))) return false;
                    foreach (var (ids, score) in segs)
                    {
                        double product = 1;
                        int start = 0;
                        foreach (int id in ids)
                        {
                            int length = c.Model.GetPieceBytes(id).Length;
                            int cell = c.Model.Trie.Walk(PieceTrie.Root, text.AsSpan(start, length));
                            product *= recorder.Holds(start + length, cell);
                            start += length;
                        }
                        if (Math.Abs(product - Math.Exp(alpha * score - logZ)) > 1e-12) return false;
                    }
                }
            }
            return true;
        }, maxTest: 150);
    }

    public static TheoryData<string, double> RealCases => new()
    {
        { "watching", 0.1 }, { "watching", 0.3 },
        { "白云机场", 0.05 }, { "白云机场", 0.2 },
        { "the cat", 0.5 },
    };

    private const int Draws = 100_000;
    private const double Significance = 1e-3;

    /// <summary>Exact probabilities of every segmentation of a single-chunk text under P^alpha / Z.</summary>
    private static Dictionary<string, double> Exact(UnigramModel model, byte[] text, double alpha)
    {
        var segs = Enumerate(model, text);
        double logZ = LogSumExp(segs.Select(s => alpha * s.Score));
        return segs.ToDictionary(s => string.Join(",", s.Ids), s => Math.Exp(alpha * s.Score - logZ));
    }

    /// <summary>The chi-square p-value; the test needs enough cells (>= 4 after pooling) to have power.</summary>
    private static double PValue(Dictionary<string, double> exact, Dictionary<string, long> observed)
    {
        Assert.All(observed.Keys, key => Assert.True(exact.ContainsKey(key), $"drew a segmentation that does not exist: {key}"));
        var cells = exact.Select(kv => (kv.Value, observed.GetValueOrDefault(kv.Key))).ToList();
        var (p, _, df) = Statistics.ChiSquare(cells, observed.Values.Sum());
        Assert.True(df >= 3, $"only {df + 1} cells after pooling: the case cannot tell samplers apart");
        return p;
    }

    [SkippableTheory]
    [MemberData(nameof(RealCases))]
    public void ChiSquare_RealModel_SamplesMatchPAlphaOverZ(string word, double alpha)
    {
        // 100,000 draws with a fixed seed; each draw its own stream (FirstChunk = draw number).
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = System.Text.Encoding.UTF8.GetBytes(word);
        var exact = Exact(tokenizer.Model, text, alpha);
        var observed = new Dictionary<string, long>();
        for (int d = 0; d < Draws; d++)
        {
            string key = string.Join(",", tokenizer.EncodeBytes(text, sampling: new SamplingOptions(alpha, 20261123, d)));
            observed[key] = observed.GetValueOrDefault(key) + 1;
        }
        double p = PValue(exact, observed);
        Assert.True(p > Significance, $"chi-square rejects the sampler: p = {p:G3} ({exact.Count} segmentations)");
    }

    [SkippableTheory]
    [InlineData("watching", 0.1)]
    [InlineData("watching", 0.3)]
    [InlineData("the cat", 0.5)]
    public void NegativeControl_BiasedPairwiseSigmoidSampler_FailsTheSameTest(string word, double alpha)
    {
        var model = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        byte[] text = System.Text.Encoding.UTF8.GetBytes(word);
        var exact = Exact(model, text, alpha);
        var rng = new Random(20261123);
        var observed = new Dictionary<string, long>();
        for (int d = 0; d < Draws; d++)
        {
            string key = string.Join(",", BiasedV1Sample(model, text, alpha, rng));
            observed[key] = observed.GetValueOrDefault(key) + 1;
        }
        double p = PValue(exact, observed);
        Assert.True(p < Significance, $"the biased sampler should fail, but p = {p:G3}");
    }

    /// <summary>
    /// BytePiece 0.4's "Viterbi Sampling" (kept here only as a negative control): candidates longest
    /// first, a newcomer replaces the holder with probability sigmoid(alpha (s_new - s_cur)), and each
    /// end carries the chosen path's own score.
    /// </summary>
    private static List<int> BiasedV1Sample(UnigramModel model, byte[] text, double alpha, Random rng)
    {
        int n = text.Length;
        var score = new double[n + 1];
        var back = new int[n + 1];
        var backId = new int[n + 1];
        for (int e = 1; e <= n; e++)
        {
            score[e] = double.NegativeInfinity;
            for (int s = 0; s < e; s++) // longest first
            {
                if (!model.TryGetId(text.AsSpan(s, e - s), out int id)) continue;
                double candidate = score[s] + model.GetLogProb(id);
                if (double.IsNegativeInfinity(score[e]) || rng.NextDouble() < 1 / (1 + Math.Exp(-alpha * (candidate - score[e]))))
                {
                    score[e] = candidate;
                    back[e] = s;
                    backId[e] = id;
                }
            }
        }
        var ids = new List<int>();
        for (int e = n; e > 0; e = back[e]) ids.Add(backId[e]);
        ids.Reverse();
        return ids;
    }

    [SkippableFact]
    public void NBest_EqualsBruteForceSorting()
    {
        var gen = from c in SmallCases from k in Gen.Choose(1, 8) select (c, k);
        TestVocab.Check(gen, x =>
        {
            var tokenizer = new BytePieceTokenizer(x.c.Model);
            foreach (byte[] text in x.c.Texts)
            {
                var all = BruteForce.All(x.c.Model, text).ToList();
                all.Sort((a, b) => -BruteForce.Compare(x.c.Model, a, b));
                var expected = all.Take(x.k).ToList();
                var actual = tokenizer.NBest(text, x.k);
                if (actual.Count != expected.Count) return false;
                for (int r = 0; r < expected.Count; r++)
                {
                    if (!actual[r].Ids.SequenceEqual(expected[r])) return false;
                    if (actual[r].LogProb != BruteForce.Score(x.c.Model, expected[r], expected[r].Count)) return false;
                }
                if (!actual[0].Ids.SequenceEqual(tokenizer.EncodeBytes(text))) return false;
            }
            return true;
        }, maxTest: 200);
    }

    [SkippableFact]
    public void EntropyAndMarginals_EqualBruteForce_AndMarginalsCoveringAByteSumToOne()
    {
        TestVocab.Check(SmallCases, c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (byte[] text in c.Texts)
            {
                var segs = Enumerate(c.Model, text);
                foreach (double alpha in Alphas)
                {
                    double logZ = LogSumExp(segs.Select(s => alpha * s.Score));
                    var probs = segs.Select(s => Math.Exp(alpha * s.Score - logZ)).ToArray();
                    double entropy = -probs.Where(p => p > 0).Sum(p => p * Math.Log(p));
                    if (Math.Abs(tokenizer.Entropy(text, alpha) - entropy) > 1e-9) return false;

                    var expected = new Dictionary<(int, int, int), double>();
                    for (int w = 0; w < segs.Count; w++)
                    {
                        int start = 0;
                        foreach (int id in segs[w].Ids)
                        {
                            int end = start + c.Model.GetPieceBytes(id).Length;
                            expected[(start, end, id)] = expected.GetValueOrDefault((start, end, id)) + probs[w];
                            start = end;
                        }
                    }
                    var marginals = tokenizer.Marginals(text, alpha);
                    foreach (var m in marginals)
                        if (Math.Abs(m.Probability - expected.GetValueOrDefault((m.Start, m.End, m.Id))) > 1e-9) return false;
                    for (int b = 0; b < text.Length; b++)
                        if (Math.Abs(marginals.Where(m => m.Start <= b && b < m.End).Sum(m => m.Probability) - 1) > 1e-9) return false;
                }
            }
            return true;
        }, maxTest: 150);
    }

    [SkippableFact]
    public void Samples_RoundTrip_AndAreReproducible()
    {
        var gen = from c in TestVocab.Case(maxTextLength: 40) from alpha in Gen.Elements(0.0, 0.1, 1.0, 5.0) from seed in Gen.Choose(0, 1000) select (c, alpha, seed);
        TestVocab.Check(gen, x =>
        {
            var tokenizer = new BytePieceTokenizer(x.c.Model);
            var options = new SamplingOptions(x.alpha, (ulong)x.seed);
            return x.c.Texts.All(t =>
            {
                int[] ids = tokenizer.EncodeBytes(t, sampling: options);
                return tokenizer.DecodeBytes(ids).AsSpan().SequenceEqual(t) && ids.SequenceEqual(tokenizer.EncodeBytes(t, sampling: options));
            });
        });
    }

    [SkippableFact]
    public void ResumingWithFirstChunk_ContinuesTheSameRandomStream()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = SharedData.Corpus("en", 8 << 10);
        var options = new SamplingOptions(0.1, 7);
        int[] whole = tokenizer.EncodeBytes(text, sampling: options);
        var resumed = new List<int>();
        int[] buffer = new int[100];
        ReadOnlySpan<byte> rest = text;
        long chunks = 0;
        while (true)
        {
            var status = tokenizer.EncodeBytes(rest, buffer, out int consumed, out int written, sampling: options with { FirstChunk = chunks });
            resumed.AddRange(buffer[..written]);
            chunks += Chunker.CountChunks(rest[..consumed]);
            rest = rest[consumed..];
            if (status == System.Buffers.OperationStatus.Done) break;
            if (written == 0) buffer = new int[buffer.Length * 2];
        }
        Assert.Equal(whole, resumed);
        Assert.NotEqual(tokenizer.EncodeBytes(text), whole); // it did sample
    }

    [SkippableFact]
    public void LargeAlpha_GivesTheViterbiResult_InNearlyAllDraws()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = "广州的白云机场 is an airport";
        var viterbi = tokenizer.EncodeToIds(text);
        int same = Enumerable.Range(0, 1000).Count(d => tokenizer.EncodeToIds(text, sampling: new SamplingOptions(50, 1, d)).SequenceEqual(viterbi));
        Assert.True(same >= 990, $"{same} of 1000 draws at alpha = 50 were the Viterbi result");
        int atLowAlpha = Enumerable.Range(0, 1000).Count(d => tokenizer.EncodeToIds(text, sampling: new SamplingOptions(0.1, 1, d)).SequenceEqual(viterbi));
        Assert.True(atLowAlpha < 500, $"{atLowAlpha} of 1000 draws at alpha = 0.1 were the Viterbi result");
    }

    [SkippableFact]
    public void NegativeAlpha_IsViterbi_AndBadAlphaIsRejectedByAnalyses()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        Assert.Equal(tokenizer.EncodeToIds("hello world"), tokenizer.EncodeToIds("hello world", sampling: new SamplingOptions(-1, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Entropy("x", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Marginals("x", double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.NBest("x", 0));
        Assert.Equal(0, tokenizer.Entropy("", 1));
        Assert.Single(tokenizer.NBest("", 3));
    }
}
