using BytePiece.Training;
using Xunit;

namespace BytePiece.Tests;

/// <summary>The embedded default model: what it holds, that it works, and that the documented training rebuilds it exactly.</summary>
public class DefaultModelTests
{
    [SkippableFact]
    public void DefaultModel_IsA64kMixedModel_WhoseIdsFitIn16Bits()
    {
        UnigramModel model = DefaultModel.Instance;
        Assert.Same(model, BytePieceTokenizer.Default.Model);
        Assert.True(model.VocabSize is > 60_000 and <= 65_536, $"{model.VocabSize}");
        Assert.Equal(TextNormalization.Nfc, model.Normalization);
        Assert.True(model.MaxPieceLength <= 36);
        // It learned all three kinds of text.
        Assert.True(model.TryGetId("的"u8, out _));
        Assert.True(model.TryGetId(" the"u8, out _) || model.TryGetId("▁the"u8, out _));
        Assert.True(model.TryGetId("return"u8, out _));
    }

    [SkippableFact]
    public void DefaultModel_LoadedWithoutTheChecksumAndTrieChecks_IsTheModelEveryCheckAccepts()
    {
        // DefaultModel.Load trusts the embedded file (it skips the CRC and the stored trie's checks to start
        // fast); this is what earns the trust: the file passes them all and both loads give the same arrays.
        UnigramModel verified = NativeModelFormat.Read(DefaultModel.GetFileBytes());
        UnigramModel trusted = DefaultModel.Load();
        Assert.Equal(verified.RawArrays.Ids, trusted.RawArrays.Ids);
        Assert.Equal(verified.RawArrays.Offsets, trusted.RawArrays.Offsets);
        Assert.Equal(verified.RawArrays.Bytes, trusted.RawArrays.Bytes);
        Assert.Equal(verified.RawArrays.Counts, trusted.RawArrays.Counts);
        Assert.Equal((verified.Normalization, verified.TotalCount, verified.MaxPieceLength, verified.VocabSize),
            (trusted.Normalization, trusted.TotalCount, trusted.MaxPieceLength, trusted.VocabSize));
        foreach (CountedPiece piece in verified.Pieces)
            Assert.Equal(BitConverter.DoubleToInt64Bits(verified.GetLogProb(piece.Id)), BitConverter.DoubleToInt64Bits(trusted.GetLogProb(piece.Id)));
        Assert.Equal(verified.Trie.Nodes, trusted.Trie.Nodes);
        Assert.Equal(verified.Trie.PieceAt, trusted.Trie.PieceAt);
        Assert.Equal(verified.Trie.Scores.Select(BitConverter.DoubleToInt64Bits), trusted.Trie.Scores.Select(BitConverter.DoubleToInt64Bits));
    }

    [SkippableFact]
    public void DefaultModel_RoundTripsEveryByteString_AndEveryPieceEncodesToItself()
    {
        var tokenizer = BytePieceTokenizer.Default;
        var rng = new Random(5);
        for (int k = 0; k < 500; k++)
        {
            var bytes = new byte[rng.Next(0, 400)];
            rng.NextBytes(bytes);
            Assert.Equal(bytes, tokenizer.DecodeBytes(tokenizer.EncodeBytes(bytes)));
        }
        string text = "广州的白云机场 is busy.\n\ndef f(x):\n    return x + 1\n";
        Assert.Equal(text, tokenizer.Decode(tokenizer.EncodeToIds(text)));
        foreach (CountedPiece piece in tokenizer.Model.Pieces)
            Assert.Equal([piece.Id], tokenizer.EncodeBytes(piece.Bytes.Span));
    }

    [SkippableFact]
    public void DefaultModel_IsRebuiltByteForByte_ByTheDocumentedTraining()
    {
        // corpora/train-default-model.sh: the three shared corpora, 65,536, every 100th chunk held out.
        Prerequisites.Require(Prerequisite.Corpora);
        var corpus = TrainingCorpus.FromFiles(new[] { "zh", "en", "code" }.Select(SharedFolder.CorpusPath));
        var result = BytePieceTrainer.Train(corpus, new TrainerOptions { VocabSizes = [65536], HoldoutEvery = 100 });
        using var file = new MemoryStream();
        NativeModelFormat.Write(result.Models[0], file);
        Assert.True(file.ToArray().AsSpan().SequenceEqual(DefaultModel.GetFileBytes()), "retraining gave a different model");
    }

    [SkippableFact]
    public void Cli_EncodesWithTheDefaultModel_WhenNoModelIsGiven()
    {
        var (code, stdout, stderr) = CliRunner.Run("", "encode", "hello world", "--quiet");
        Assert.True(code == 0, stderr);
        Assert.Equal(string.Join(' ', BytePieceTokenizer.Default.EncodeToIds("hello world")) + "\n", stdout);
    }
}
