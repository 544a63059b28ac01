using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Drawing many samples (issue 19, item 2): without replacement the search's memory grows linearly in the
/// samples with a small constant per token; with replacement nothing grows; what cannot fit is refused
/// before any output, with exit 5 from the CLI.
/// </summary>
public class SampleMemoryTests(ITestOutputHelper output)
{
    private static string Text1K => Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(SharedData.Root, "models", "sentencepiece", "botchan.txt"))[..1000]).Replace('\n', ' ');

    private static (long Bytes, int Tokens) AllocatedFor(BytePieceTokenizer tokenizer, string text, int samples)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        int tokens = 0;
        foreach (ScoredSegmentation s in tokenizer.EnumerateSampleEncodeAndScore(text, new SamplingOptions(0.1, 7), samples, withoutReplacement: true))
            tokens += s.Ids.Count;
        return (GC.GetAllocatedBytesForCurrentThread() - before, tokens);
    }

    [SkippableFact]
    public void WithoutReplacement_AllocatesLinearlyInTheSamples_ASmallConstantPerToken()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = Text1K;
        AllocatedFor(tokenizer, text, 50); // warm up
        var (small, smallTokens) = AllocatedFor(tokenizer, text, 250);
        var (large, largeTokens) = AllocatedFor(tokenizer, text, 1000);
        double perSmall = (double)small / 250, perLarge = (double)large / 1000;
        output.WriteLine($"250 samples: {small:N0} bytes ({perSmall:N0} a sample, {(double)small / smallTokens:F0} a token); " +
            $"1000 samples: {large:N0} bytes ({perLarge:N0} a sample, {(double)large / largeTokens:F0} a token)");
        // Linear: 4x the samples cost at most about 4x (growth of the arrays by doubling gives some slack).
        Assert.True(perLarge < 1.5 * perSmall, $"{perLarge:N0} bytes a sample at 1000 samples vs {perSmall:N0} at 250");
        // A small constant per token of the samples (records, agenda entries, the paths), never the lattice per hypothesis.
        Assert.True((double)large / largeTokens < 200, $"{(double)large / largeTokens:F0} bytes a token");
    }

    [SkippableFact]
    public void WithReplacement_DrawsAreMadeAsTheyAreEnumerated()
    {
        // int.MaxValue samples could never be held: taking the first few must return at once.
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var spm = SentencePieceTokenizer.Load(Path.Combine(SharedData.Root, "models", "sentencepiece", "test_model.model"));
        Assert.Equal(3, tokenizer.EnumerateSampleEncodeAndScore(Text1K, new SamplingOptions(0.1, 1), int.MaxValue).Take(3).Count());
        Assert.Equal(3, spm.EnumerateSampleEncodeAndScore(Text1K, new SamplingOptions(0.1, 1), int.MaxValue).Take(3).Count());
        long before = GC.GetAllocatedBytesForCurrentThread();
        int drawn = tokenizer.EnumerateSampleEncodeAndScore(Text1K, new SamplingOptions(0.1, 1), int.MaxValue).Take(2000).Count();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"2000 draws with replacement: {allocated / drawn:N0} bytes allocated a draw");
        Assert.True(allocated / drawn < 64 * 1024, $"{allocated / drawn:N0} bytes a draw");
    }

    [SkippableFact]
    public void WithoutReplacement_AHugeSampleCountIsRefusedUpFront()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InputLimitExceededException>(() => tokenizer.SampleEncodeAndScore(Text1K, new SamplingOptions(0.1, 1), 1_000_000, withoutReplacement: true));
        Assert.Contains("MaxSearchHypotheses", e.Message);
        output.WriteLine($"refused in {started.ElapsedMilliseconds} ms: {e.Message}");
        // The same through the CLI: exit 5, one line, nothing on stdout.
        var (code, stdout, stderr) = CliRunner.Run(Text1K, "sample", "-m", SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"),
            "--samples", "1000000", "--without-replacement");
        Assert.Equal(5, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("MaxSearchHypotheses", stderr);
    }

    [SkippableFact]
    public void WithoutReplacement_TheSamplesAreDistinct_AndTheSameAsTheListApi()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var options = new SamplingOptions(0.2, 11);
        var list = tokenizer.SampleEncodeAndScore("hello world, streaming samples", options, 200, withoutReplacement: true, includeBest: true);
        var streamed = tokenizer.EnumerateSampleEncodeAndScore("hello world, streaming samples", options, 200, withoutReplacement: true, includeBest: true).ToList();
        Assert.Equal(list.Count, streamed.Count);
        for (int i = 0; i < list.Count; i++)
        {
            Assert.Equal(list[i].Ids, streamed[i].Ids);
            Assert.Equal(list[i].Score, streamed[i].Score);
        }
        Assert.Equal(list.Count, list.Select(s => string.Join(' ', s.Ids)).Distinct().Count());
        Assert.Equal(tokenizer.EncodeToIds("hello world, streaming samples"), list[0].Ids);
    }
}
