using System.IO.Pipelines;
using System.Text;
using BytePiece.Testing;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The streaming encoder over SentencePiece and tokenizer.json models: a sentence per line, each line equal to
/// encoding it alone (Viterbi, or sampled with the line's index as its sentence index), whatever the reads and
/// the thread count.
/// </summary>
public class StreamingSentenceTests
{
    private static readonly Lazy<(SentencePieceTokenizer Spm, HuggingFaceTokenizer Hf)> s_models = new(() =>
    {
        var spm = SentencePieceTokenizer.Load(SharedFolder.SentencePieceFilePath("test_model.model"));
        using var json = new MemoryStream();
        TokenizerJsonWriter.Write(spm.Model, json);
        return (spm, HuggingFaceTokenizer.FromJson(json.ToArray()));
    });

    private static UnigramTokenizer Model(string family) => family == "spm" ? s_models.Value.Spm : s_models.Value.Hf;

    /// <summary>Lines of botchan.txt, with empty lines, a CR, multi-byte text, and no final newline.</summary>
    private static string Text(int lines)
    {
        string[] novel = File.ReadAllLines(SharedFolder.SentencePieceFilePath("botchan.txt"));
        var text = new StringBuilder();
        for (int k = 0; k < lines; k++) text.Append(novel[k % novel.Length]).Append(k % 7 == 3 ? "\n\n" : k % 11 == 5 ? "\r\n" : "\n");
        return text.Append("déjà vu, 日本語 ").ToString();
    }


    private static List<int[]> Stream(StreamingEncoder encoder, byte[] input, int[] reads, int bufferSize = 4096)
    {
        var reader = PipeReader.Create(new TrickleStream(input, reads), new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: 1));
        var parts = encoder.EncodeChunksAsync(reader).ToBlockingEnumerable().ToList();
        Assert.All(parts, p => Assert.True(p.EndsChunk));
        return parts.ConvertAll(p => p.Ids);
    }

    /// <summary>What the stream must give: each line alone, line i drawing as sentence i.</summary>
    private static List<int[]> LineByLine(UnigramTokenizer tokenizer, string text, SamplingOptions? sampling, bool bos = false, bool eos = false)
    {
        List<string> lines = [.. text.Split('\n')];
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        var result = new List<int[]>();
        for (int i = 0; i < lines.Count; i++)
        {
            SamplingOptions draw = (sampling ?? new SamplingOptions(-1, 0)) with { FirstChunk = (sampling?.FirstChunk ?? 0) + i };
            result.Add(tokenizer switch
            {
                SentencePieceTokenizer spm => [.. spm.EncodeToIds(lines[i], draw, bos, eos)],
                HuggingFaceTokenizer hf => [.. hf.EncodeToIds(lines[i], draw, bos || eos)],
                _ => throw new ArgumentException("not a sentence model"),
            });
        }
        return result;
    }

    [Theory]
    [InlineData("spm", -1.0)]
    [InlineData("spm", 0.5)]
    [InlineData("hf", -1.0)]
    [InlineData("hf", 0.5)]
    public void EachLine_IsOneSentence_EqualToEncodingItAlone_WithTheLineIndexAsSentenceIndex(string family, double alpha)
    {
        UnigramTokenizer tokenizer = Model(family);
        string text = Text(300);
        SamplingOptions? sampling = alpha < 0 ? null : new SamplingOptions(alpha, 17, FirstChunk: 5);
        var encoder = new StreamingEncoder(tokenizer, sampling: sampling);
        Assert.True(encoder.SentencePerLine);
        Assert.Equal(LineByLine(tokenizer, text, sampling), Stream(encoder, Encoding.UTF8.GetBytes(text), [1, 7, 300, 5000]));
    }

    [Theory]
    [InlineData("spm")]
    [InlineData("hf")]
    public void BosAndEos_GoAroundEachLine_AsTheModelPutsThem(string family)
    {
        UnigramTokenizer tokenizer = Model(family);
        string text = Text(40);
        var sampling = new SamplingOptions(0.3, 4);
        var encoder = new StreamingEncoder(tokenizer, sampling: sampling, addBeginningOfSentence: true, addEndOfSentence: true);
        List<int[]> streamed = Stream(encoder, Encoding.UTF8.GetBytes(text), [100]);
        Assert.Equal(LineByLine(tokenizer, text, sampling, bos: true, eos: true), streamed);
        if (tokenizer is SentencePieceTokenizer spm)
            Assert.All(streamed, ids => Assert.True(ids[0] == spm.Model.BosId && ids[^1] == spm.Model.EosId));
    }

    /// <summary>Several blocks of about 1 MiB encode at once; the output is the same for 1, 2 and 4 threads, Viterbi or sampled.</summary>
    [Theory]
    [InlineData("spm", -1.0)]
    [InlineData("spm", 0.2)]
    [InlineData("hf", -1.0)]
    [InlineData("hf", 0.2)]
    public void Threads_NeverChangeTheOutput(string family, double alpha)
    {
        UnigramTokenizer tokenizer = Model(family);
        byte[] input = Encoding.UTF8.GetBytes(Text(60_000)); // ~4 MB: several blocks in flight
        SamplingOptions? sampling = alpha < 0 ? null : new SamplingOptions(alpha, 99);
        List<int[]> one = Stream(new StreamingEncoder(tokenizer, sampling: sampling) { Threads = 1 }, input, [1 << 20, 300_001], bufferSize: 1 << 20);
        Assert.Equal(60_000 + 60_000 / 7 + 1, one.Count); // a line per line, the empty ones included
        foreach (int threads in new[] { 2, 4 })
            Assert.Equal(one, Stream(new StreamingEncoder(tokenizer, sampling: sampling) { Threads = threads }, input, [1 << 20, 300_001], bufferSize: 1 << 20));
        if (sampling is not null)
            Assert.NotEqual(Stream(new StreamingEncoder(tokenizer) { Threads = 2 }, input, [1 << 20], bufferSize: 1 << 20), one); // the draws are draws
    }

    /// <summary>
    /// Sampled, over an input of several 1 MiB blocks encoded on two threads: each line still equals encoding it
    /// alone as sentence FirstChunk + its index, and the ids come in blocks of many lines each (one buffer per
    /// block, its parts the lines).
    /// </summary>
    [Theory]
    [InlineData("spm")]
    [InlineData("hf")]
    public void SampledLines_OverManyBlocksOnTwoThreads_EqualEachLineAlone_InBlocksOfManyLines(string family)
    {
        UnigramTokenizer tokenizer = Model(family);
        string text = Text(40_000); // ~2.5 MB
        var sampling = new SamplingOptions(0.2, 31, FirstChunk: 3);
        var encoder = new StreamingEncoder(tokenizer, sampling: sampling) { Threads = 2 };
        var reader = PipeReader.Create(new TrickleStream(Encoding.UTF8.GetBytes(text), [1 << 20, 300_001]), new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1));
        var lines = new List<int[]>();
        int blocks = 0;
        foreach (EncodedBlock block in encoder.EncodeBlocksAsync(reader).ToBlockingEnumerable())
        {
            blocks++;
            Assert.Equal(block.Count, block.ChunksEnded); // a line is always whole
            for (int k = 0; k < block.Count; k++) lines.Add(block.PartIds(k).ToArray());
            Assert.Equal(Enumerable.Range(0, block.Count).SelectMany(k => block.PartIds(k).ToArray()), block.Ids.ToArray());
        }
        Assert.Equal(LineByLine(tokenizer, text, sampling), lines);
        Assert.InRange(blocks, 3, lines.Count / 1000);
    }

    [Theory]
    [InlineData("spm")]
    [InlineData("hf")]
    public void InputSplitAtEveryByte_GivesTheSameIds(string family)
    {
        UnigramTokenizer tokenizer = Model(family);
        byte[] input = Encoding.UTF8.GetBytes("It was a dark night.\n\nこんにちは 世界\r\nnaïve café\n😀 end");
        var sampling = new SamplingOptions(0.5, 3);
        List<int[]> viterbi = LineByLine(tokenizer, Encoding.UTF8.GetString(input), null), sampled = LineByLine(tokenizer, Encoding.UTF8.GetString(input), sampling);
        for (int split = 0; split <= input.Length; split++)
        {
            Assert.Equal(viterbi, Stream(new StreamingEncoder(tokenizer), input, [split, input.Length]));
            Assert.Equal(sampled, Stream(new StreamingEncoder(tokenizer, sampling: sampling), input, [split, input.Length]));
        }
    }

    [Theory]
    [InlineData("spm")]
    [InlineData("hf")]
    public void Pieces_AreTheModelsOwnPieces_PerLine(string family)
    {
        UnigramTokenizer tokenizer = Model(family);
        string text = Text(50) + "\u0001 unknown ☃\n";
        var sampling = new SamplingOptions(0.5, 8);
        var encoder = new StreamingEncoder(tokenizer, sampling: sampling, addEndOfSentence: true);
        var reader = PipeReader.Create(new TrickleStream(Encoding.UTF8.GetBytes(text), [333]));
        var streamed = encoder.EncodePiecesAsync(reader).ToBlockingEnumerable().Select(p => string.Join(' ', p.Pieces)).ToList();
        string[] lines = text.Split('\n')[..^1];
        Assert.Equal(lines.Length, streamed.Count);
        for (int i = 0; i < lines.Length; i++)
        {
            SamplingOptions draw = sampling with { FirstChunk = i };
            IEnumerable<string> expected = tokenizer is SentencePieceTokenizer spm
                ? [.. spm.EncodeToPieces(Encoding.UTF8.GetBytes(lines[i]), draw), spm.Model.IdToPiece(spm.Model.EosId)]
                : ((HuggingFaceTokenizer)tokenizer).EncodeToPieceTokens(lines[i], draw, addSpecialTokens: true).Select(t => t.Value);
            Assert.Equal(string.Join(' ', expected), streamed[i]);
        }
    }

    [Theory]
    [InlineData("spm")]
    [InlineData("hf")]
    public void InvalidUtf8_IsRefusedWithItsOffset_UnlessRaw(string family)
    {
        UnigramTokenizer tokenizer = Model(family);
        byte[] input = [.. "first line\nsecond "u8, 0xFF, .. " line\n"u8];
        var error = Assert.Throws<InvalidUtf8Exception>(() => Stream(new StreamingEncoder(tokenizer), input, [5]));
        Assert.Equal(18, error.ByteOffset);
        Assert.Equal(2, Stream(new StreamingEncoder(tokenizer, raw: true), input, [5]).Count);
    }

    [Theory]
    [InlineData("spm", 1)]
    [InlineData("hf", 2)]
    public void ALineLongerThanMaxChunkLength_IsRefused_AShorterOneIsNot(string family, int threads)
    {
        UnigramTokenizer tokenizer = Model(family);
        byte[] input = Encoding.UTF8.GetBytes("short\n" + new string('a', 300_000) + "\nafter\n");
        var error = Assert.Throws<InputLimitExceededException>(() => Stream(new StreamingEncoder(tokenizer) { MaxChunkLength = 100_000, Threads = threads }, input, [65536], 65536));
        Assert.Contains("line at byte 6 is longer than", error.Message);
        Assert.Equal(6, error.Offset);
        Assert.Equal(3, Stream(new StreamingEncoder(tokenizer) { MaxChunkLength = 300_000, Threads = threads }, input, [65536], 65536).Count);
    }

    [Fact]
    public void BosOrEos_OfABytePieceStream_IsRefused_AndABytePieceModelStreamsChunks()
    {
        UnigramTokenizer bytePiece = BytePieceTokenizer.Default;
        Assert.Throws<ArgumentException>(() => new StreamingEncoder(bytePiece, addBeginningOfSentence: true));
        var encoder = new StreamingEncoder(bytePiece);
        Assert.False(encoder.SentencePerLine);
        byte[] input = "one\n\ntwo\n"u8.ToArray();
        Assert.Equal([BytePieceTokenizer.Default.EncodeBytes("one\n\n"u8), BytePieceTokenizer.Default.EncodeBytes("two\n"u8)], Stream(encoder, input, [2]));
    }
}
