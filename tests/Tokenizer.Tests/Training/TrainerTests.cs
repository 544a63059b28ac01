using System.Text;
using System.Text.Unicode;
using BytePiece.Training;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Whole training runs on real text (slices of the shared corpora): properties of the models, determinism, errors.</summary>
public class TrainerTests
{
    private static readonly Lazy<string[]> s_texts = new(() =>
    [
        Encoding.UTF8.GetString(SharedData.Corpus("zh", 700_000)),
        Encoding.UTF8.GetString(SharedData.Corpus("en", 700_000)),
        Encoding.UTF8.GetString(SharedData.Corpus("code", 500_000)),
    ]);

    private static readonly Lazy<TrainingResult> s_trained = new(() =>
        BytePieceTrainer.Train(TrainingCorpus.FromTexts(s_texts.Value), new TrainerOptions { VocabSizes = [8000, 3000], HoldoutEvery = 50 }));

    [SkippableFact]
    public void TrainedModels_RespectTheirLimits()
    {
        var result = s_trained.Value;
        Assert.Equal(2, result.Models.Count);
        Assert.True(result.Models[0].VocabSize <= 8000 && result.Models[0].VocabSize > 7000, $"{result.Models[0].VocabSize}");
        Assert.True(result.Models[1].VocabSize <= 3000 && result.Models[1].VocabSize > 2500, $"{result.Models[1].VocabSize}");
        foreach (UnigramModel model in result.Models)
        {
            Assert.Equal(256, model.Pieces.Count(p => p.Bytes.Length == 1));
            Assert.True(model.MaxPieceLength <= 36);
            // ensure_unicode: every multi-byte piece is whole characters.
            Assert.All(model.Pieces.Where(p => p.Bytes.Length > 1), p => Assert.True(Utf8.IsValid(p.Bytes.Span), Convert.ToHexString(p.Bytes.Span)));
            // Ids as upstream: by (length, bytes) from 3, contiguous.
            var pieces = model.Pieces.ToList();
            Assert.Equal(Enumerable.Range(3, pieces.Count), pieces.Select(p => p.Id));
            for (int k = 1; k < pieces.Count; k++)
            {
                ReadOnlySpan<byte> a = pieces[k - 1].Bytes.Span, b = pieces[k].Bytes.Span;
                Assert.True(a.Length < b.Length || (a.Length == b.Length && a.SequenceCompareTo(b) < 0));
            }
        }
        // The smaller model is cut from the larger one.
        var large = result.Models[0].Pieces.Select(p => Convert.ToHexString(p.Bytes.Span)).ToHashSet();
        Assert.All(result.Models[1].Pieces, p => Assert.Contains(Convert.ToHexString(p.Bytes.Span), large));
    }

    [SkippableFact]
    public void TrainedModels_HaveNoWastedPiece_EveryPieceEncodesToItself()
    {
        foreach (UnigramModel model in s_trained.Value.Models)
        {
            var tokenizer = new BytePieceTokenizer(model);
            foreach (CountedPiece piece in model.Pieces)
                Assert.Equal([piece.Id], tokenizer.EncodeBytes(piece.Bytes.Span));
        }
    }

    [SkippableFact]
    public void TrainedModels_CompressHeldOutText_AndRoundTripEveryByteString()
    {
        var result = s_trained.Value;
        Assert.True(result.HeldOut.Length > 10_000);
        var large = new BytePieceTokenizer(result.Models[0]);
        var small = new BytePieceTokenizer(result.Models[1]);
        double largeRatio = (double)result.HeldOut.Length / large.CountTokens(result.HeldOut.Span);
        double smallRatio = (double)result.HeldOut.Length / small.CountTokens(result.HeldOut.Span);
        Assert.True(largeRatio > smallRatio && smallRatio > 2.0, $"{largeRatio} {smallRatio}");
        var rng = new Random(11);
        for (int k = 0; k < 200; k++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            Assert.Equal(bytes, large.DecodeBytes(large.EncodeBytes(bytes)));
        }
    }

    [SkippableFact]
    public void Training_IsDeterministic_AcrossThreadsAndMemoryBudgets()
    {
        string[] texts = [Encoding.UTF8.GetString(SharedData.Corpus("zh", 2_500_000))];
        var big = new TrainerOptions { VocabSizes = [5000], Threads = 1 };
        var spilling = big with { Threads = 3, MaxMemory = 16 << 20 };
        var a = BytePieceTrainer.Train(TrainingCorpus.FromTexts(texts), big);
        var b = BytePieceTrainer.Train(TrainingCorpus.FromTexts(texts), spilling);
        Assert.Equal(0, a.Statistics.SpilledRuns);
        Assert.True(b.Statistics.SpilledRuns > 0, "the small budget did not spill");
        Assert.Equal(a.Statistics.DistinctNGrams, b.Statistics.DistinctNGrams);
        Assert.Equal(a.Models[0].Pieces.Select(p => (Convert.ToHexString(p.Bytes.Span), p.Id, p.Count)),
            b.Models[0].Pieces.Select(p => (Convert.ToHexString(p.Bytes.Span), p.Id, p.Count)));
    }

    [SkippableFact]
    public void IsolateDigits_NoMultiBytePieceHoldsADigit()
    {
        string[] texts = [.. Enumerable.Range(0, 300).Select(i => $"order {i * 37} shipped on 2026-11-{i % 28 + 1:D2}, total {i * 13.5:F2} 元\n")];
        var result = BytePieceTrainer.Train(TrainingCorpus.FromTexts(texts), new TrainerOptions { VocabSizes = [400], IsolateDigits = true });
        Assert.All(result.Models[0].Pieces.Where(p => p.Bytes.Length > 1), p => Assert.DoesNotContain(p.Bytes.ToArray(), b => b is >= (byte)'0' and <= (byte)'9'));
        Assert.Contains(result.Models[0].Pieces, p => p.Bytes.Length > 3); // it did learn words
    }

    [SkippableFact]
    public void Cancellation_Stops_AndLeavesNoSpillFiles()
    {
        string temp = Directory.CreateTempSubdirectory("bytepiece-cancel").FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var progress = new SyncProgress(p => { if (p.Stage == "counting n-grams" && p.Done > 300_000) cancel.Cancel(); });
            var options = new TrainerOptions { VocabSizes = [2000], MaxMemory = 16 << 20, TempDirectory = temp };
            string[] texts = s_texts.Value; // outside ThrowsAny, where a missing corpus would be the exception caught
            Assert.ThrowsAny<OperationCanceledException>(() =>
                BytePieceTrainer.Train(TrainingCorpus.FromTexts(texts), options, progress, cancel.Token));
            Assert.Empty(Directory.GetFiles(temp));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [SkippableTheory]
    [InlineData(258, 6, 2)]
    [InlineData(1000, 1, 2)]
    [InlineData(1000, 8, 2)]
    [InlineData(1000, 6, 0)]
    public void BadOptions_AreRejected_WithTheirName(int size, int order, long minCount)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            BytePieceTrainer.Train(TrainingCorpus.FromTexts(["abc"]), new TrainerOptions { VocabSizes = [size], Order = order, MinCount = minCount }));
        Assert.Contains(size < 259 ? "vocabulary size" : order is < 2 or > 7 ? "order" : "min count", e.Message);
    }

    [SkippableFact]
    public void EmptyCorpus_GivesTheByteModel()
    {
        var result = BytePieceTrainer.Train(TrainingCorpus.FromTexts(["", ""]), new TrainerOptions { VocabSizes = [1000] });
        Assert.Equal(256, result.Models[0].PieceCount);
    }

    [SkippableFact]
    public void MissingInput_IsAClearError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TrainingCorpus.FromFiles(["/nonexistent/corpus.txt"]));
        Assert.Contains("/nonexistent/corpus.txt", e.Message);
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
