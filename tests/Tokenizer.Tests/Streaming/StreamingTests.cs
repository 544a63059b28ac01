using System.IO.Pipelines;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Streaming gives exactly the whole-text result, however the input is split.</summary>
public class StreamingTests
{
    private static readonly string[] Atoms =
        ["a", "b", " ", "\n", "\n\n", "\r\n", "中", "文", "é", "e\u0301", "A\u030A", "\u1100\u1161\u11A8", "😀", "\u0301", "x\u0323\u0307", "the ", "ing"];

    private static Gen<string> Text => Gen.Choose(0, 60).SelectMany(n => Gen.ArrayOf(Gen.Elements(Atoms), n)).Select(p => string.Concat(p));

    /// <summary>
    /// A reader that sees the input in pieces of the given sizes (cycled): each read of the underlying
    /// stream returns at most one piece, so every ReadAsync delivers a partial, deterministic buffer.
    /// </summary>
    private static PipeReader Feed(byte[] bytes, int[] splits, int bufferSize = 4096)
        => PipeReader.Create(new TrickleStream(bytes, splits), new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: 1));


    private static int[] Collect(StreamingEncoder encoder, PipeReader reader)
        => encoder.EncodeAsync(reader).ToBlockingEnumerable().ToArray();

    private static Gen<int[]> Splits => Gen.ArrayOf(Gen.Frequency((4, Gen.Choose(1, 4)), (2, Gen.Choose(5, 300)), (1, Gen.Choose(301, 65536))), 5).Where(a => a.Length > 0);

    [SkippableFact]
    public void StreamedText_EqualsWholeText_ForViterbiAndSampling_UnderAnySplit()
    {
        var gen = from model in TestVocab.Model from text in Text from splits in Splits from seed in Gen.Choose(0, 100) select (model, text, splits, seed);
        TestVocab.Check(gen, x =>
        {
            var tokenizer = new BytePieceTokenizer(x.model);
            byte[] utf8 = Encoding.UTF8.GetBytes(x.text);
            var sampling = new SamplingOptions(0.5, (ulong)x.seed);
            // Sampling is checked with the real model too: its pieces give every text many segmentations.
            var real = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
            return Collect(new StreamingEncoder(tokenizer), Feed(utf8, x.splits)).SequenceEqual(tokenizer.EncodeToIds(x.text))
                && Collect(new StreamingEncoder(tokenizer, sampling: sampling), Feed(utf8, x.splits)).SequenceEqual(tokenizer.EncodeToIds(x.text, sampling: sampling))
                && Collect(new StreamingEncoder(real, sampling: sampling), Feed(utf8, x.splits)).SequenceEqual(real.EncodeToIds(x.text, sampling: sampling));
        }, maxTest: 200);
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void ABlockWithAFewLinesThatAreNotNfc_EncodesAsTheWholeNormalizedText(int threads)
    {
        // Lines NFC changes (a mark after a quick letter, a singleton, Hangul jamo, a run of reordered marks) among
        // many that are NFC, in blocks of several lines: only the chunks holding a doubtful character are normalized.
        string[] odd = ["cafe\u0301 au lait", "\u212B ngstr\u00F6m", "\u1100\u1161\u11A8 jamo", "x\u0323\u0307 y\u0307\u0323", "\u0958 and \u00E9 NFC"];
        var random = new Random(20261204);
        var text = new StringBuilder();
        for (int line = 0; line < 40_000; line++)
        {
            text.Append(random.Next(50) == 0 ? odd[random.Next(odd.Length)] : $"line {line}: 广州的白云机场 is an airport");
            text.Append(random.Next(10) == 0 ? "\n\n" : "\n");
        }
        text.Insert(0, "e\u0301 first\n").Append("last e\u0301");
        BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
        int[] streamed = new StreamingEncoder(tokenizer) { Threads = threads }.EncodeAsync(stream).ToBlockingEnumerable().ToArray();
        Assert.Equal(tokenizer.EncodeToIds(text.ToString().Normalize(NormalizationForm.FormC)), streamed);
        Assert.Equal(tokenizer.EncodeToIds(text.ToString()), streamed);
    }

    [SkippableFact]
    public void StreamedRawBytes_EqualEncodeBytes_EvenForInvalidUtf8()
    {
        var gen = from c in TestVocab.Case(maxTextLength: 200, texts: 1) from splits in Splits select (c, splits);
        TestVocab.Check(gen, x =>
        {
            var tokenizer = new BytePieceTokenizer(x.c.Model);
            byte[] bytes = x.c.Texts[0];
            return Collect(new StreamingEncoder(tokenizer, raw: true), Feed(bytes, x.splits)).SequenceEqual(tokenizer.EncodeBytes(bytes));
        }, maxTest: 200);
    }

    [SkippableFact]
    public async Task RealCorpus_FromAStream_EqualsWholeText()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] corpus = SharedData.Corpus("zh", 2 << 20);
        using var stream = new MemoryStream(corpus);
        var ids = new List<int>();
        await foreach (int id in new StreamingEncoder(tokenizer).EncodeAsync(stream)) ids.Add(id);
        Assert.Equal(tokenizer.EncodeToIds(Encoding.UTF8.GetString(corpus)), ids);
    }

    [SkippableFact]
    public void InvalidUtf8_InTextMode_ReportsTheOffsetInTheWholeInput()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(new string('a', 5000) + "\n"), .. "ok\n"u8, 0xC3, 0x28, .. "\n"u8];
        var e = Assert.Throws<InvalidUtf8Exception>(() => Collect(new StreamingEncoder(tokenizer), Feed(bytes, [700])));
        Assert.Equal(5004, e.ByteOffset);
    }

    /// <summary>
    /// After an error the reader is not left in the middle of a read: the caller can read on (a web server
    /// drains the body and serves the next request on the connection). Checked for invalid UTF-8 and the
    /// chunk limit, in whole chunks, in a long chunk (the lattice), and with threads.
    /// </summary>
    [SkippableTheory]
    [InlineData(1, 10)]
    [InlineData(1, 200_000)]
    [InlineData(2, 3_000_000)]
    public async Task AfterAnError_TheReaderCanStillBeRead(int threads, int lineLength)
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(new string('a', lineLength) + "\n"), .. "ok "u8, 0xC3, 0x28, .. "\n"u8, .. "tail\n"u8];
        foreach (bool limit in new[] { false, true })
        {
            // A Pipe, like Kestrel's request body: its reader refuses a second read before AdvanceTo.
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
            await pipe.Writer.WriteAsync(bytes);
            await pipe.Writer.CompleteAsync();
            PipeReader reader = pipe.Reader;
            var encoder = new StreamingEncoder(tokenizer) { Threads = threads, MaxChunkLength = limit ? lineLength / 2 : long.MaxValue };
            Exception e = await Assert.ThrowsAnyAsync<Exception>(async () => { await foreach (int _ in encoder.EncodeAsync(reader)) { } });
            Assert.IsType(limit ? typeof(InputLimitExceededException) : typeof(InvalidUtf8Exception), e);
            long rest = 0;
            while (true)
            {
                ReadResult result = await reader.ReadAsync(); // threw "Reading is already in progress" before
                rest += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
            Assert.True(rest <= bytes.Length); // what was not consumed yet (with threads, blocks in flight may have taken it all)
            await reader.CompleteAsync();
        }
    }

    [SkippableFact]
    public async Task Cancellation_StopsTheStream()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("first line\nsecond"u8.ToArray());
        using var cts = new CancellationTokenSource();
        var ids = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int id in new StreamingEncoder(tokenizer).EncodeAsync(pipe.Reader, cts.Token))
            {
                ids.Add(id);
                cts.Cancel(); // the writer never completes: only cancellation ends the wait
            }
        });
        Assert.Equal(tokenizer.EncodeToIds("first line\n"), ids.Take(tokenizer.EncodeToIds("first line\n").Count));
    }

    private static (int[] Ids, StreamingEncoder Encoder) Stream(StreamingEncoder encoder, byte[] bytes, int[] splits)
    {
        int[] ids = Collect(encoder, Feed(bytes, splits));
        return (ids, encoder);
    }

    [SkippableFact]
    public void LongChunks_EncodedAsTheyArrive_EqualWholeText_ForViterbiAndSampling()
    {
        // A tiny threshold sends every chunk longer than 16 bytes through the bounded-memory lattice.
        var gen = from model in TestVocab.Model from text in Text from splits in Splits from seed in Gen.Choose(0, 100) select (model, text, splits, seed);
        var real = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        TestVocab.Check(gen, x =>
        {
            var tokenizer = new BytePieceTokenizer(x.model);
            byte[] utf8 = Encoding.UTF8.GetBytes(x.text);
            var sampling = new SamplingOptions(0.5, (ulong)x.seed);
            foreach (var (t, s) in new[] { (tokenizer, (SamplingOptions?)null), (tokenizer, sampling), (real, null), (real, sampling) })
            {
                var (ids, encoder) = Stream(new StreamingEncoder(t, sampling: s) { LongChunkThreshold = 16 }, utf8, x.splits);
                if (encoder.ForcedCuts != 0 || !ids.SequenceEqual((s is { } o ? t.EncodeToIds(x.text, o) : t.EncodeToIds(x.text)))) return false;
            }
            var (raw, _) = Stream(new StreamingEncoder(tokenizer, raw: true) { LongChunkThreshold = 16 }, utf8, x.splits);
            return raw.SequenceEqual(tokenizer.EncodeBytes(utf8));
        }, maxTest: 200);
    }

    [SkippableFact]
    public void TwentyMegabyteLine_StreamsInBoundedMemory_WithTheWholeTextResult()
    {
        byte[] line = SharedData.LongLine("zh", 21 << 20);
        int cut = line.AsSpan(0, line.Length - 8).LastIndexOfAnyInRange((byte)0, (byte)0x7F); // end on a whole character
        line = line[..cut];
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var (ids, encoder) = Stream(new StreamingEncoder(tokenizer), line, [1 << 16]);
        Assert.Equal(0, encoder.ForcedCuts);
        Assert.True(encoder.MaxRetainedBytes < 1 << 20, $"held {encoder.MaxRetainedBytes} bytes at once");
        Assert.Equal(tokenizer.EncodeToIds(Encoding.UTF8.GetString(line)), ids);
    }

    [SkippableFact]
    public void SampledMultiMegabyteLine_Streams_WithTheWholeTextResult()
    {
        byte[] seed = SharedData.Corpus("en", 3 << 20);
        for (int i = 0; i < seed.Length; i++) if (seed[i] == '\n') seed[i] = (byte)' ';
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var sampling = new SamplingOptions(0.1, 99);
        var (ids, encoder) = Stream(new StreamingEncoder(tokenizer, sampling: sampling), seed, [4096, 70_000, 3]);
        Assert.Equal(0, encoder.ForcedCuts);
        Assert.True(encoder.MaxRetainedBytes < 1 << 20, $"held {encoder.MaxRetainedBytes} bytes at once");
        Assert.Equal(tokenizer.EncodeToIds(Encoding.UTF8.GetString(seed), sampling: sampling), ids);
    }

    [SkippableFact]
    public void ChainsThatNeverMeet_OverAperiodicText_AreCutAtTheWindow_AndCounted_StillLossless()
    {
        // Single bytes rare and every pair of a and b common: even positions chain through even ones, odd
        // through position 1, so chains meet only at the start; the text is random, so the back pointers
        // do not repeat either, and the lattice must cut.
        var pairs = new[] { "aa", "ab", "ba", "bb" }.Select(p => new KeyValuePair<byte[], long>(Encoding.ASCII.GetBytes(p), 1000));
        var counts = Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], 1)).Concat(pairs);
        var tokenizer = new BytePieceTokenizer(UnigramModel.FromCounts(counts));
        var random = new Random(7);
        byte[] line = Enumerable.Range(0, 200_001).Select(_ => (byte)(random.Next(2) == 0 ? 'a' : 'b')).ToArray();
        var (ids, encoder) = Stream(new StreamingEncoder(tokenizer, raw: true) { MaxWindow = 4096 }, line, [1 << 16]);
        Assert.True(encoder.ForcedCuts > 0);
        Assert.True(encoder.MaxRetainedBytes < 200_000, $"held {encoder.MaxRetainedBytes} bytes at once");
        Assert.Equal(line, tokenizer.DecodeBytes(ids));
    }

    [SkippableFact]
    public void ChainsThatNeverMeet_OverARun_AreHeldAsOnePeriod_AndStayExact()
    {
        // "a" rare and "aa" common: the chains never meet in a run of a, but their back pointers repeat.
        var counts = Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], 1)).Append(new("aa"u8.ToArray(), 1000));
        var tokenizer = new BytePieceTokenizer(UnigramModel.FromCounts(counts));
        byte[] line = Enumerable.Repeat((byte)'a', 200_001).ToArray();
        var (ids, encoder) = Stream(new StreamingEncoder(tokenizer, raw: true) { MaxWindow = 4096 }, line, [1 << 16]);
        Assert.Equal(0, encoder.ForcedCuts);
        Assert.True(encoder.MaxRetainedBytes < 1 << 18, $"held {encoder.MaxRetainedBytes} bytes at once");
        Assert.Equal(tokenizer.EncodeBytes(line), ids);
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public void ParallelEncoding_EqualsSequential_ForViterbiAndSampling(int threads)
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = [.. SharedData.Corpus("zh", 1 << 20), .. SharedData.Corpus("en", 1 << 20), .. SharedData.Corpus("code", 1 << 20)];
        string whole = Encoding.UTF8.GetString(text);
        foreach (SamplingOptions? sampling in new SamplingOptions?[] { null, new SamplingOptions(0.2, 5) })
        {
            // Large read buffers, as the CLI uses, so that blocks are big enough to be split across threads.
            int[] ids = Collect(new StreamingEncoder(tokenizer, sampling: sampling) { Threads = threads }, Feed(text, [1 << 20, 300_000], bufferSize: 1 << 20));
            IReadOnlyList<int> expected = (sampling is { } o ? tokenizer.EncodeToIds(whole, o) : tokenizer.EncodeToIds(whole));
            Assert.Equal(expected, ids);
            // All of it in one read: the encoder cuts the block into pieces of whole chunks itself.
            Assert.Equal(expected, Collect(new StreamingEncoder(tokenizer, sampling: sampling) { Threads = threads }, Feed(text, [text.Length], bufferSize: text.Length)));
        }
    }

    /// <summary>
    /// With several threads, blocks of whole chunks are split across them: the output still equals the whole
    /// text where such blocks meet a long chunk (streamed by the lattice) and the end of the input.
    /// </summary>
    [SkippableTheory]
    [InlineData(2, 1 << 20)]
    [InlineData(2, 70_000)]
    [InlineData(3, 1 << 16)]
    public void ParallelBlocks_AroundALongChunk_EqualTheWholeText(int threads, int bufferSize)
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] lines = [.. SharedData.Corpus("zh", 400_000), .. SharedData.Corpus("en", 400_000)];
        byte[] longLine = [.. SharedData.Corpus("code", 300_000).Select(b => b == (byte)'\n' ? (byte)' ' : b), (byte)'\n'];
        byte[] text = [.. lines, .. longLine, .. lines, .. longLine[..^1]];
        string whole = Encoding.UTF8.GetString(text);
        foreach (SamplingOptions? sampling in new SamplingOptions?[] { null, new SamplingOptions(0.3, 11) })
        {
            int[] ids = Collect(new StreamingEncoder(tokenizer, sampling: sampling) { Threads = threads }, Feed(text, [bufferSize, 5000, 123_457], bufferSize));
            Assert.Equal((sampling is { } o ? tokenizer.EncodeToIds(whole, o) : tokenizer.EncodeToIds(whole)), ids);
        }
    }

    /// <summary>
    /// <see cref="StreamingEncoder.EncodeBlocksAsync"/> hands out many chunks per block (one buffer each), a part that
    /// stops inside a long chunk only as a block's last, and, read part by part, each chunk's ids equal encoding
    /// that chunk alone, on one thread or two.
    /// </summary>
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void Blocks_HoldManyChunksEach_AndTheirPartsAreTheChunks(int threads)
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] lines = SharedData.Corpus("en", 1_500_000);
        byte[] text = [.. lines, .. Enumerable.Repeat((byte)'a', 200_000), (byte)'\n', .. lines]; // a long chunk between blocks
        var chunks = new List<int[]>();
        var current = new List<int>();
        int blocks = 0;
        var encoder = new StreamingEncoder(tokenizer, raw: true) { Threads = threads };
        foreach (EncodedBlock block in encoder.EncodeBlocksAsync(Feed(text, [1 << 20], 1 << 20)).ToBlockingEnumerable())
        {
            blocks++;
            var all = new List<int>();
            for (int k = 0; k < block.Count; k++)
            {
                Assert.True(block.EndsChunk(k) || k == block.Count - 1);
                all.AddRange(block.PartIds(k).ToArray());
                current.AddRange(block.PartIds(k).ToArray());
                if (!block.EndsChunk(k)) continue;
                chunks.Add([.. current]);
                current.Clear();
            }
            Assert.Equal(all, block.Ids.ToArray());
            Assert.Equal(Enumerable.Range(0, block.Count).Count(block.EndsChunk), block.ChunksEnded);
        }
        var expected = new List<int[]>();
        for (int pos = 0; pos < text.Length;)
        {
            int end = Chunker.ChunkEnd(text, pos);
            expected.Add(tokenizer.EncodeBytes(text.AsSpan(pos, end - pos)));
            pos = end;
        }
        Assert.Equal(expected, chunks);
        Assert.True(blocks * 100 < chunks.Count, $"{blocks} blocks for {chunks.Count} chunks");
    }

    [SkippableFact]
    public void Parallel_InvalidUtf8_ComesAfterTheIdsBeforeIt_WithTheOffsetInTheWholeInput()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] good = SharedData.Corpus("en", 3 << 20);
        byte[] bytes = [.. good, .. "ok\n"u8, 0xC3, 0x28, .. "\n"u8, .. good];
        var ids = new List<int>();
        var encoder = new StreamingEncoder(tokenizer) { Threads = 2 };
        var e = Assert.Throws<InvalidUtf8Exception>(() =>
        {
            foreach (int id in encoder.EncodeAsync(Feed(bytes, [1 << 20], bufferSize: 1 << 20)).ToBlockingEnumerable()) ids.Add(id);
        });
        Assert.Equal(good.Length + 3, e.ByteOffset);
        // Everything handed out before the error is the encoding of a prefix of the good text, in order.
        int[] expected = tokenizer.EncodeBytes(good);
        Assert.True(ids.Count <= expected.Length);
        Assert.Equal(expected.Take(ids.Count), ids);
    }

    [SkippableFact]
    public async Task Parallel_ConsumerThatLeavesEarly_EndsCleanly()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = SharedData.Corpus("zh", 4 << 20);
        int taken = 0;
        await foreach (int id in new StreamingEncoder(tokenizer) { Threads = 2 }.EncodeAsync(Feed(text, [1 << 20], bufferSize: 1 << 20)))
            if (++taken == 1000) break; // disposes the enumeration in the middle of a block
        Assert.Equal(1000, taken);
    }

    /// <summary>
    /// The streaming encoder skips normalizing blocks that a quick UTF-8 scan shows to be NFC already: the
    /// scan may say "not known" for NFC text, never "NFC" for text that is not. And it does say NFC for
    /// the usual text (the fast path is taken), and for nothing with a mark that could combine.
    /// </summary>
    [SkippableFact]
    public void QuickNfcCheck_NeverPassesTextThatNfcChanges()
    {
        string[] atoms = [.. Atoms, "େ", "ା", "ᅡ", "ᆨ", "가", "Å", "̈́", "ཱི", "゙", "か", "が", "ℌ", "ﬁ", "آ", "￾", "￿", "Ω", "Å", "क़"];
        var gen = Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Elements(atoms), n)).Select(p => string.Concat(p));
        TestVocab.Check(gen, text => !NfcBoundary.IsQuickNfc(Encoding.UTF8.GetBytes(text)) || text.IsNormalized(NormalizationForm.FormC), maxTest: 3000);
        // Every BMP character alone (the table behind the scan), and real text, which takes the fast path.
        for (int cp = 0; cp < 0x10000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            string one = char.ConvertFromUtf32(cp);
            if (!NfcBoundary.IsQuickNfc(Encoding.UTF8.GetBytes(one))) continue;
            Assert.True(one.IsNormalized(NormalizationForm.FormC), $"U+{cp:X4} passes the quick check but is not NFC");
            Assert.True(("a" + one).IsNormalized(NormalizationForm.FormC) && ("\u1100" + one).IsNormalized(NormalizationForm.FormC), $"U+{cp:X4} passes the quick check but combines with what precedes it");
        }
        foreach (string corpus in new[] { "zh", "en", "code" })
            Assert.True(NfcBoundary.IsQuickNfc(SharedData.Corpus(corpus, 1 << 16)), $"{corpus}: the fast path is not taken");
    }

    [SkippableFact]
    public void SafeSplitPoints_NeverChangeTheNfcForm()
    {
        // Every character the streaming encoder may cut before: NFC(prefix) + NFC(rest) == NFC(all).
        string[] atoms = [.. Atoms, "\u0B47", "\u0B3E", "\u1161", "\u11A8", "\uAC00", "\u212B", "\u0344", "\u0F73", "\u3099", "か", "ℌ", "\uFB01", "\u0627\u0653"];
        var gen = Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Elements(atoms), n)).Select(p => string.Concat(p));
        TestVocab.Check(gen, text =>
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            for (int p = 1; p < utf8.Length; p++)
            {
                if ((utf8[p] & 0xC0) == 0x80 || !NfcBoundary.StartsStably(utf8.AsSpan(p))) continue;
                string before = Encoding.UTF8.GetString(utf8, 0, p), after = Encoding.UTF8.GetString(utf8, p, utf8.Length - p);
                if (before.Normalize(NormalizationForm.FormC) + after.Normalize(NormalizationForm.FormC) != text.Normalize(NormalizationForm.FormC)) return false;
            }
            return true;
        }, maxTest: 1000);
    }

    [SkippableFact]
    public async Task PipeWriterOutput_IsTheIdsAsLittleEndianInt32()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] corpus = SharedData.Corpus("code", 1 << 20);
        var pipe = new Pipe();
        var writing = new StreamingEncoder(tokenizer).EncodeAsync(PipeReader.Create(new MemoryStream(corpus)), pipe.Writer);
        using var received = new MemoryStream();
        await pipe.Reader.CopyToAsync(received);
        long count = await writing;
        byte[] bytes = received.ToArray();
        int[] ids = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToInt32(bytes, 4 * i)).ToArray();
        Assert.Equal(tokenizer.EncodeToIds(Encoding.UTF8.GetString(corpus)), ids);
        Assert.Equal(ids.Length, count);
    }
}
