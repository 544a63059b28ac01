using System.Text;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Sampling, n-best and entropy for tokenizer.json models, against a brute-force enumeration of a word's
/// segmentations under HF's lattice (every vocabulary entry, double scores): draws follow
/// exp(alpha * score) / Z (chi-square, 100,000 draws, fixed seed, p &gt; 1e-3), n-best is the top of the
/// enumeration, entropy matches it, and words are independent (a text's entropy is its words' sum).
/// </summary>
public class HuggingFaceLatticeTests(ITestOutputHelper output)
{
    internal static (SentencePieceTokenizer Spm, HuggingFaceTokenizer Hf) Models()
    {
        var spm = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath("test_model.model"));
        using var json = new MemoryStream();
        TokenizerJsonWriter.Write(spm.Model, json);
        return (spm, HuggingFaceTokenizer.FromJson(json.ToArray()));
    }

    /// <summary>Every segmentation of one word (its normalized form from spm's normalizer, the same here), with its score.</summary>
    internal static List<(string Ids, double Score)> Enumerate(SentencePieceTokenizer spm, string word)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(spm.Normalize(word));
        var starts = Enumerable.Range(0, bytes.Length).Where(i => (bytes[i] & 0xC0) != 0x80).Append(bytes.Length).ToList();
        var result = new List<(string, double)>();
        void Walk(int s, List<int> ids, double score)
        {
            if (s == starts.Count - 1)
            {
                result.Add((string.Join(" ", ids), score));
                return;
            }
            for (int e = s + 1; e < starts.Count; e++)
            {
                int id = spm.Model.PieceToId(Encoding.UTF8.GetString(bytes, starts[s], starts[e] - starts[s]));
                if (id == spm.Model.UnknownId) continue;
                ids.Add(id);
                Walk(e, ids, score + spm.Model.GetScore(id));
                ids.RemoveAt(ids.Count - 1);
            }
        }
        Walk(0, [], 0);
        return result;
    }

    [SkippableTheory]
    [InlineData("telescope", 0.5)]
    [InlineData("hello", 1.0)]
    [InlineData("understand", 0.1)]
    public void Sampling_FollowsExactDistribution(string word, double alpha)
    {
        var (spm, hf) = Models();
        var paths = Enumerate(spm, word);
        double max = paths.Max(p => alpha * p.Score), z = paths.Sum(p => Math.Exp(alpha * p.Score - max));
        var counts = new Dictionary<string, long>();
        const int draws = 100_000;
        for (int i = 0; i < draws; i++)
        {
            string key = string.Join(" ", hf.EncodeToIds(word, new SamplingOptions(alpha, 20261201, FirstChunk: i)));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.All(counts.Keys, k => Assert.Contains(paths, p => p.Ids == k));
        var (p, _, df) = Statistics.ChiSquare([.. paths.Select(x => (Math.Exp(alpha * x.Score - max) / z, counts.GetValueOrDefault(x.Ids)))], draws);
        output.WriteLine($"{word} alpha {alpha}: {paths.Count} segmentations, df {df}, p = {p:G3}");
        Assert.True(paths.Count >= 4 && p > 1e-3, $"p = {p}");
    }

    [SkippableFact]
    public void NBestAndEntropy_EqualBruteForce_AndWordsAreIndependent()
    {
        var (spm, hf) = Models();
        foreach (string word in new[] { "telescope", "hello", "world" })
        {
            var paths = Enumerate(spm, word).OrderByDescending(p => p.Score).ToList();
            var best = hf.NBest(word, 6);
            Assert.Equal(paths.Take(6).Select(p => p.Score), best.Select(b => b.LogProb));
            Assert.All(best, b => Assert.Contains(paths, p => p.Ids == string.Join(" ", b.Ids) && p.Score == b.LogProb));
            Assert.Equal(string.Join(" ", hf.EncodeToIds(word)), string.Join(" ", best[0].Ids));
            foreach (double alpha in new[] { 0.2, 1.0 })
            {
                double max = paths.Max(p => alpha * p.Score), z = paths.Sum(p => Math.Exp(alpha * p.Score - max));
                double exact = -paths.Sum(p => { double q = Math.Exp(alpha * p.Score - max) / z; return q * Math.Log(q); });
                Assert.True(Math.Abs(hf.Entropy(word, alpha) - exact) < 1e-9, $"{word} alpha {alpha}: {hf.Entropy(word, alpha)} vs {exact}");
            }
        }
        Assert.True(Math.Abs(hf.Entropy("hello world", 0.5) - hf.Entropy("hello", 0.5) - hf.Entropy("world", 0.5)) < 1e-12);
        var pairs = hf.NBest("hello world", 3);
        Assert.Equal(hf.NBest("hello", 1)[0].LogProb + hf.NBest("world", 1)[0].LogProb, pairs[0].LogProb, 9);
        output.WriteLine($"n-best and entropy equal brute force on 3 words; entropy adds over words");
    }
}
