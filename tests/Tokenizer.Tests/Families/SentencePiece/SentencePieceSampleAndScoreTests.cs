using System.Globalization;
using System.Text;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// spm's other sampling regimes (and the same draws for BytePiece models): <c>SampleEncode</c> with nbest_size &gt; 1 and <c>sample_encode_and_score</c>
/// with and without replacement. Each is measured against the exact law computed by brute force over all
/// segmentations (<see cref="SentencePieceLatticeTests.ExactDistribution"/>): chi-square at significance
/// 1e-3, and mean checks at 4.5 standard errors (two-sided, about 7e-6), all with fixed seeds.
/// </summary>
public class SentencePieceSampleAndScoreTests(ITestOutputHelper output)
{
    private const double Significance = 1e-3;
    private const double StandardErrors = 4.5;

    private static SentencePieceTokenizer Tokenizer(string model) => SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath(model));

    /// <summary>
    /// What the distribution tests run on: a SentencePiece model (tests/data, or one spm_train makes), (a name starting with
    /// "bytepiece.") an upstream BytePiece model, or ("hf:") Google's test model as tokenizer.json, all with
    /// the same API; its exact law enumerated by brute force.
    /// </summary>
    private sealed record Subject(
        Func<string, SamplingOptions, int, bool, bool, IReadOnlyList<ScoredSegmentation>> Sample,
        Func<string, double, Dictionary<string, double>> Exact,
        Func<string, string> Best);

    private static Subject For(string model)
    {
        if (model == "hf:test_model.model")
        {
            var (spm, hf) = HuggingFaceLatticeTests.Models();
            return new((t, o, k, wor, best) => hf.SampleEncodeAndScore(t, o, k, wor, best), (t, a) =>
            {
                // Words are independent: the text's law is the product of its words' (each enumerated).
                var paths = new List<(string Ids, double Score)> { ("", 0) };
                foreach (string word in t.Split(' '))
                    paths = [.. paths.SelectMany(p => HuggingFaceLatticeTests.Enumerate(spm, word).Select(w => ((p.Ids + " " + w.Ids).Trim(), p.Score + w.Score)))];
                double max = paths.Max(x => a * x.Score), z = paths.Sum(x => Math.Exp(a * x.Score - max));
                return paths.ToDictionary(x => x.Ids, x => Math.Exp(a * x.Score - max) / z);
            }, t => Key(hf.EncodeToIds(t)));
        }
        if (!model.StartsWith("bytepiece.", StringComparison.Ordinal))
        {
            var spm = Tokenizer(model);
            return new((t, o, k, wor, best) => spm.SampleEncodeAndScore(t, o, k, wor, best),
                (t, a) => SentencePieceLatticeTests.ExactDistribution(spm, t, a), t => Key(spm.EncodeToIds(t)));
        }
        var bp = SharedData.Tokenizer(model);
        return new((t, o, k, wor, best) => bp.SampleEncodeAndScore(t, o, k, wor, best), (t, a) =>
        {
            // Chunk-free ASCII texts: the lattice is the bytes' (no normalization changes them).
            byte[] bytes = Encoding.UTF8.GetBytes(t);
            var paths = BruteForce.All(bp.Model, bytes).Select(p => (Key(p), a * BruteForce.Score(bp.Model, p, p.Count))).ToList();
            double max = paths.Max(x => x.Item2), z = paths.Sum(x => Math.Exp(x.Item2 - max));
            return paths.ToDictionary(x => x.Item1, x => Math.Exp(x.Item2 - max) / z);
        }, t => Key(bp.EncodeToIds(t)));
    }

    private static string Key(IReadOnlyList<int> ids) => string.Join(" ", ids);

    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5)]
    [InlineData("test_ja_model.model", "名前はまだ無い。", 0.2)]
    [InlineData("bytepiece.eu.plus.40k.model", "hello", 0.3)]
    [InlineData("hf:test_model.model", "hello world", 0.5)]
    public void WithReplacement_FollowsExactDistribution_ScoredByLogProbability(string model, string text, double alpha)
    {
        Subject subject = For(model);
        Dictionary<string, double> exact = subject.Exact(text, alpha);
        Assert.True(exact.Count >= 4, $"only {exact.Count} segmentations");
        const int calls = 5_000, perCall = 8;
        var counts = new Dictionary<string, long>();
        for (int i = 0; i < calls; i++)
        {
            IReadOnlyList<ScoredSegmentation> samples = subject.Sample(text, new SamplingOptions(alpha, 7, i), perCall, false, false);
            Assert.Equal(perCall, samples.Count);
            foreach (ScoredSegmentation s in samples)
            {
                string key = Key(s.Ids);
                Assert.True(exact.TryGetValue(key, out double p), $"drew a segmentation that does not exist: {key}");
                Assert.True(Math.Abs(s.Score - Math.Log(p)) < 1e-9, $"score {s.Score} is not log p = {Math.Log(p)}");
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        var (pValue, _, df) = Statistics.ChiSquare([.. exact.Select(e => (e.Value, counts.GetValueOrDefault(e.Key)))], calls * perCall);
        output.WriteLine($"{text}: {exact.Count} segmentations, {calls * perCall} draws, df {df}, p = {pValue:G3}");
        Assert.True(pValue > Significance, $"draws do not follow exp(alpha S)/Z: p = {pValue}");
    }

    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5)]
    [InlineData("test_model.model", "telescope", 1.0)]
    [InlineData("test_ja_model.model", "名前はまだ無い。", 0.2)]
    [InlineData("bytepiece.eu.plus.40k.model", "cats", 0.2)]
    [InlineData("hf:test_model.model", "hello world", 0.5)]
    public void WithoutReplacement_OrderedPairs_FollowSuccessiveSampling(string model, string text, double alpha)
    {
        Subject subject = For(model);
        Dictionary<string, double> exact = subject.Exact(text, alpha);
        Assert.True(exact.Count >= 4, $"only {exact.Count} segmentations");
        const int calls = 40_000;
        var counts = new Dictionary<(string, string), long>();
        for (int i = 0; i < calls; i++)
        {
            IReadOnlyList<ScoredSegmentation> samples = subject.Sample(text, new SamplingOptions(alpha, 11, i), 2, true, false);
            Assert.Equal(2, samples.Count);
            var pair = (Key(samples[0].Ids), Key(samples[1].Ids));
            Assert.NotEqual(pair.Item1, pair.Item2);
            counts[pair] = counts.GetValueOrDefault(pair) + 1;
        }
        // P(first = a, second = b) = p(a) p(b) / (1 - p(a)).
        var cells = new List<(double, long)>();
        foreach (var (a, pa) in exact)
            foreach (var (b, pb) in exact)
                if (a != b) cells.Add((pa * pb / (1 - pa), counts.GetValueOrDefault((a, b))));
        Assert.All(counts.Keys, k => Assert.True(exact.ContainsKey(k.Item1) && exact.ContainsKey(k.Item2)));
        var (pValue, _, df) = Statistics.ChiSquare(cells, calls);
        output.WriteLine($"{text}: {exact.Count} segmentations, {cells.Count} ordered pairs, df {df}, p = {pValue:G3}");
        Assert.True(pValue > Significance, $"ordered pairs do not follow successive sampling: p = {pValue}");
    }

    /// <summary>
    /// The scores are inclusion probabilities in the sense that matters: sum over the sample of
    /// p(w) / exp(score) estimates sum over all w of p(w) = 1 without bias (and likewise for one w alone).
    /// A wrong threshold or a wrongly conditioned Gumbel shifts these means.
    /// </summary>
    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5, 3, false)]
    [InlineData("test_model.model", "telescope", 1.0, 2, false)]
    [InlineData("test_model.model", "hello world", 0.5, 3, true)]
    [InlineData("test_ja_model.model", "名前はまだ無い。", 0.2, 4, true)]
    [InlineData("bytepiece.eu.plus.40k.model", "hello", 0.3, 3, true)]
    [InlineData("hf:test_model.model", "hello world", 0.5, 3, true)]
    [InlineData("hf:test_model.model", "telescope", 1.0, 2, false)]
    public void WithoutReplacement_InclusionScores_GiveUnbiasedWeights(string model, string text, double alpha, int k, bool includeBest)
    {
        Subject subject = For(model);
        Dictionary<string, double> exact = subject.Exact(text, alpha);
        Assert.True(exact.Count > k + 1, $"only {exact.Count} segmentations");
        string best = subject.Best(text);
        string[] watched = [.. exact.OrderByDescending(e => e.Value).Select(e => e.Key).Where(w => !includeBest || w != best).Take(3)];
        const int calls = 40_000;
        var totals = new double[calls];
        var singles = new double[watched.Length, calls];
        for (int i = 0; i < calls; i++)
        {
            IReadOnlyList<ScoredSegmentation> samples = subject.Sample(text, new SamplingOptions(alpha, 13, i), k, true, includeBest);
            Assert.Equal(k, samples.Count);
            Assert.Equal(k, samples.Select(s => Key(s.Ids)).Distinct().Count());
            if (includeBest)
            {
                Assert.Equal(best, Key(samples[0].Ids));
                Assert.Equal(0, samples[0].Score);
            }
            foreach (ScoredSegmentation s in samples.Skip(includeBest ? 1 : 0))
            {
                string key = Key(s.Ids);
                Assert.True(s.Score <= 0 && s.Score > double.NegativeInfinity, $"score {s.Score}");
                double weight = exact[key] / Math.Exp(s.Score);
                totals[i] += weight;
                int w = Array.IndexOf(watched, key);
                if (w >= 0) singles[w, i] = weight;
            }
        }
        double expectedTotal = includeBest ? 1 - exact[best] : 1;
        AssertMean(totals, expectedTotal, $"{text} k={k}: sum of p/pi");
        for (int w = 0; w < watched.Length; w++)
            AssertMean([.. Enumerable.Range(0, calls).Select(i => singles[w, i])], exact[watched[w]], $"{text} k={k}: p/pi of [{watched[w]}]");
    }

    private void AssertMean(double[] values, double expected, string what)
    {
        double mean = values.Average();
        double se = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1) / values.Length);
        output.WriteLine($"{what}: mean {mean:F5} expected {expected:F5} (se {se:G3}, {(mean - expected) / se:F2} se)");
        Assert.True(Math.Abs(mean - expected) <= StandardErrors * se + 1e-12, $"{what}: mean {mean} is {(mean - expected) / se:F1} standard errors from {expected}");
    }

    [SkippableFact]
    public void WithoutReplacement_AskingForMoreThanExist_ReturnsEverySegmentationOnce_Certainly()
    {
        var tokenizer = Tokenizer("test_model.model");
        const string text = "I saw";
        Dictionary<string, double> exact = SentencePieceLatticeTests.ExactDistribution(tokenizer, text, 0.5);
        foreach (bool includeBest in new[] { false, true })
        {
            IReadOnlyList<ScoredSegmentation> all = tokenizer.SampleEncodeAndScore(text, new SamplingOptions(0.5, 3), exact.Count + 3, true, includeBest);
            Assert.Equal(exact.Keys.OrderBy(k => k), all.Select(s => Key(s.Ids)).OrderBy(k => k));
            Assert.All(all, s => Assert.Equal(0, s.Score));
        }
    }

    /// <summary>
    /// n-best and the draws as the first call on a thread (its cached scratch still empty): n-best used to
    /// write into scratch arrays it had not sized (the CLI's `nbest` failed with IndexOutOfRange).
    /// </summary>
    [SkippableFact]
    public void NBestAndDraws_WorkAsAThreadsFirstCall()
    {
        var tokenizer = Tokenizer("test_model.model");
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Assert.Equal(3, tokenizer.NBest("hello world", 3).Count);
                Assert.Equal(2, tokenizer.SampleEncodeAndScore("hello world", new SamplingOptions(0.5, 1), 2, true).Count);
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    [SkippableFact]
    public void Arguments_AreChecked_AndEmptyTextHasNoSamples()
    {
        var tokenizer = Tokenizer("test_model.model");
        Assert.Throws<ArgumentException>(() => tokenizer.SampleEncodeAndScore("hello", new SamplingOptions(0.1, 1), 2, withoutReplacement: false, includeBest: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.SampleEncodeAndScore("hello", new SamplingOptions(0.1, 1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.SampleEncodeAndScore("hello", new SamplingOptions(-1, 1), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.SampleEncode("hello", new SamplingOptions(double.PositiveInfinity, 1), 4));
        Assert.Empty(tokenizer.SampleEncodeAndScore("   ", new SamplingOptions(0.1, 1), 3, true));
        Assert.Empty(tokenizer.SampleEncodeAndScore("", new SamplingOptions(0.1, 1), 3));
        var (_, hf) = HuggingFaceLatticeTests.Models();
        Assert.Throws<ArgumentException>(() => hf.SampleEncodeAndScore("hello", new SamplingOptions(0.1, 1), 2, withoutReplacement: false, includeBest: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => hf.SampleEncodeAndScore("hello", new SamplingOptions(-1, 1), 2));
        Assert.Empty(hf.SampleEncodeAndScore("", new SamplingOptions(0.1, 1), 3));
    }

    /// <summary>
    /// tokenizer.json: an added token in the text is a fixed part of every draw (the words around it are
    /// drawn, the token never is): it is in every sample exactly once, with and without replacement, and
    /// the draws without replacement are distinct.
    /// </summary>
    [SkippableFact]
    public void TokenizerJson_AddedTokens_AreFixedInEveryDraw()
    {
        var (_, hf) = HuggingFaceLatticeTests.Models();
        int[] fixedIds = [.. hf.EncodeToIds("<s>")];
        Assert.Single(fixedIds);
        int[] left = [.. hf.EncodeToIds("hello")], whole = [.. hf.EncodeToIds("hello<s>world")];
        Assert.Equal(fixedIds[0], whole[left.Length]);
        foreach (bool withoutReplacement in new[] { false, true })
        {
            var samples = hf.SampleEncodeAndScore("hello<s>world", new SamplingOptions(0.5, 3), 6, withoutReplacement);
            Assert.Equal(6, samples.Count);
            foreach (ScoredSegmentation sample in samples)
            {
                Assert.Single(sample.Ids, fixedIds[0]);
                Assert.True(sample.Score <= 0, $"score {sample.Score}");
            }
            if (withoutReplacement) Assert.Equal(6, samples.Select(x => Key(x.Ids)).Distinct().Count());
        }
    }

    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5, 4)]
    [InlineData("test_ja_model.model", "吾輩は猫である。名前はまだ無い。", 0.3, 8)]
    public void SampleEncode_NBestSize_DrawsFromTheNBestList(string model, string text, double alpha, int nbestSize)
    {
        var tokenizer = Tokenizer(model);
        IReadOnlyList<Segmentation> nbest = tokenizer.NBest(text, nbestSize);
        Assert.Equal(nbestSize, nbest.Count);
        double max = nbest.Max(s => alpha * s.LogProb);
        double z = nbest.Sum(s => Math.Exp(alpha * s.LogProb - max));
        var expected = nbest.ToDictionary(s => Key(s.Ids), s => Math.Exp(alpha * s.LogProb - max) / z);
        const int draws = 40_000;
        var counts = new Dictionary<string, long>();
        for (int i = 0; i < draws; i++)
        {
            string key = Key(tokenizer.SampleEncode(text, new SamplingOptions(alpha, 5, i), nbestSize));
            Assert.True(expected.ContainsKey(key), $"drew [{key}], which is not among the {nbestSize} best");
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var (pValue, _, df) = Statistics.ChiSquare([.. expected.Select(e => (e.Value, counts.GetValueOrDefault(e.Key)))], draws);
        output.WriteLine($"{text}: nbest {nbestSize}, df {df}, p = {pValue:G3}");
        Assert.True(pValue > Significance, $"draws do not follow exp(alpha score) over the n-best: p = {pValue}");

        // The other regimes: Viterbi for 0 and 1, the exact full-lattice draw below 0.
        var options = new SamplingOptions(alpha, 5, 17);
        Assert.Equal(tokenizer.EncodeToIds(text), tokenizer.SampleEncode(text, options, 1));
        Assert.Equal(tokenizer.EncodeToIds(text), tokenizer.SampleEncode(text, options, 0));
        Assert.Equal(tokenizer.EncodeToIds(text, options), tokenizer.SampleEncode(text, options, -1));
    }

    /// <summary>
    /// spm's own sample_encode_and_score means the same: its draws with replacement carry log p of the
    /// distribution we enumerate (float precision), and its first draw without replacement follows p.
    /// </summary>
    [SkippableFact]
    public void SpmSampleEncodeAndScore_MeansWhatOursMeans()
    {
        string path = SentencePiecePeer.SharedModelPath("test_model.model");
        var tokenizer = SentencePieceTokenizer.Load(path);
        const string text = "hello world";
        const double alpha = 0.5;
        const int calls = 20_000;
        Dictionary<string, double> exact = SentencePieceLatticeTests.ExactDistribution(tokenizer, text, alpha);
        const string script = """
            import sys, sentencepiece as spm
            spm.set_random_generator_seed(20261201)
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            text, alpha, n = open(sys.argv[2], encoding='utf-8').read().split('\t')
            for _ in range(int(n)):
                wr = sp.sample_encode_and_score(text, num_samples=2, alpha=float(alpha), wor=False)
                wor = sp.sample_encode_and_score(text, num_samples=2, alpha=float(alpha), wor=True)
                print('|'.join(' '.join(map(str, ids)) + ':' + repr(score) for ids, score in wr + wor))
            """;
        string[] lines = SentencePiecePeer.RunPython(script, path, $"{text}\t{alpha.ToString(CultureInfo.InvariantCulture)}\t{calls}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(calls, lines.Length);
        var firsts = new Dictionary<string, long>();
        foreach (string line in lines)
        {
            var fields = line.Split('|').Select(f => f.Split(':')).Select(f => (Ids: f[0], Score: double.Parse(f[1], CultureInfo.InvariantCulture))).ToArray();
            Assert.Equal(4, fields.Length);
            foreach (var (ids, score) in fields[..2])
                Assert.True(Math.Abs(score - Math.Log(exact[ids])) < 1e-4, $"spm scores [{ids}] {score}, log p is {Math.Log(exact[ids])}");
            Assert.NotEqual(fields[2].Ids, fields[3].Ids);
            firsts[fields[2].Ids] = firsts.GetValueOrDefault(fields[2].Ids) + 1;
        }
        var (pValue, _, df) = Statistics.ChiSquare([.. exact.Select(e => (e.Value, firsts.GetValueOrDefault(e.Key)))], calls);
        output.WriteLine($"spm's first draw without replacement: df {df}, p = {pValue:G3}");
        Assert.True(pValue > Significance, $"spm's first draw without replacement does not follow p: p = {pValue}");
    }
}
