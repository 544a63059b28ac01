using System.IO.Pipelines;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Long periodic runs (whitespace, rules, padding), where back-pointer chains run side by side and never
/// meet: the streaming lattice holds them as one period and still gives exactly the whole-text result,
/// without a forced cut, in bounded memory.
/// </summary>
public class StreamingRunTests
{
    private static BytePieceTokenizer Model(string name) => name == "default" ? BytePieceTokenizer.Default : SharedData.Tokenizer(name);

    private static PipeReader Reader(byte[] bytes, int bufferSize)
        => PipeReader.Create(new MemoryStream(bytes), new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: 1));

    private static (int[] Ids, StreamingEncoder Encoder) Stream(StreamingEncoder encoder, byte[] bytes, int bufferSize)
        => (encoder.EncodeAsync(Reader(bytes, bufferSize)).ToBlockingEnumerable().ToArray(), encoder);

    private static byte[] Repeat(string period, int length)
    {
        byte[] unit = Encoding.UTF8.GetBytes(period);
        byte[] run = new byte[length];
        for (int i = 0; i < length; i++) run[i] = unit[i % unit.Length];
        return run;
    }

    public static TheoryData<string, string> Runs()
    {
        var data = new TheoryData<string, string>();
        foreach (string model in new[] { "default", "bytepiece.eu.plus.40k.model", "bytepiece.plus.40k.model", "bytepiece.eu.plus.160k.model" })
            foreach (string period in new[] { " ", "0", "=", "-", "\n", "\t", "ab", " \n", "-=" })
                data.Add(model, period);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Runs))]
    public void LongRunOfAPeriod_StreamsExactly_WithoutForcedCuts(string model, string period)
    {
        var tokenizer = Model(model);
        // Three windows long (1 MiB), with text before and after, and an odd length so the end falls mid-period.
        byte[] run = [.. "x = 1;"u8, .. Repeat(period, (3 << 20) + 7), .. "end"u8];
        int[] expected = tokenizer.EncodeBytes(run);
        foreach (int bufferSize in new[] { 4096, 70_001, 1 << 20 })
        {
            var (ids, encoder) = Stream(new StreamingEncoder(tokenizer) { Threads = bufferSize == 1 << 20 ? 2 : 1 }, run, bufferSize);
            Assert.Equal(0, encoder.ForcedCuts);
            // What the reads deliver (and a block in flight), a long chunk's first 64 KiB taken from them, and the lattice.
            Assert.True(encoder.MaxRetainedBytes < 2L * bufferSize + (1 << 18), $"held {encoder.MaxRetainedBytes} bytes at once");
            Assert.True(expected.AsSpan().SequenceEqual(ids), $"block size {bufferSize}: {ids.Length} ids, expected {expected.Length}");
        }
    }

    [SkippableFact]
    public void TenMillionSpaces_GiveTheWholeTextIds_InBoundedMemory()
    {
        // The case: 277,778 ids whole, 277,785 streamed before periodic runs were held compactly.
        byte[] spaces = Enumerable.Repeat((byte)' ', 10_000_000).ToArray();
        int[] expected = BytePieceTokenizer.Default.EncodeBytes(spaces);
        var (ids, encoder) = Stream(new StreamingEncoder(BytePieceTokenizer.Default), spaces, 1 << 16);
        Assert.Equal(0, encoder.ForcedCuts);
        Assert.True(encoder.MaxRetainedBytes < 1 << 18, $"held {encoder.MaxRetainedBytes} bytes at once");
        Assert.Equal(expected, ids);
    }

    [SkippableFact]
    public void RunsEmbeddedInText_StreamExactly()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = SharedData.Corpus("code", 200_000).Select(b => b == (byte)'\n' ? (byte)' ' : b).ToArray();
        byte[] line = [.. text, .. Repeat(" ", 1_500_003), .. text, .. Repeat("=", 1_200_000), .. Repeat("-", 1_100_001), .. text, .. Repeat("\t", 999_999)];
        int[] expected = tokenizer.EncodeBytes(line);
        foreach (int threads in new[] { 1, 3 })
        {
            var (ids, encoder) = Stream(new StreamingEncoder(tokenizer) { Threads = threads }, line, 65_537);
            Assert.Equal(0, encoder.ForcedCuts);
            Assert.True(encoder.MaxRetainedBytes < 2L * 65_537 + (1 << 18), $"held {encoder.MaxRetainedBytes} bytes at once");
            Assert.True(expected.AsSpan().SequenceEqual(ids));
        }
    }

    /// <summary>
    /// Random texts made of a few segments, each repeated many times (a byte, a short word, a word and a
    /// space), streamed through the lattice with a small window: the ids equal the whole text's, and
    /// no cut was forced.
    /// </summary>
    [SkippableFact]
    public void TextsOfRepeatedSegments_StreamExactly()
    {
        // Loaded before the property: a missing model skips the test here, where inside FsCheck it would fail it.
        _ = Model("bytepiece.eu.plus.160k.model");
        string[] units = [" ", "0", "ab", " \n", "-=", "the ", "中", "aab", "\t", "é"];
        var segment = from unit in Gen.Elements(units) from times in Gen.Choose(1, 3000) select string.Concat(Enumerable.Repeat(unit, times));
        var gen = from n in Gen.Choose(1, 5)
                  from parts in Gen.ArrayOf(segment, n)
                  from model in Gen.Elements("default", "bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model")
                  from bufferSize in Gen.Elements(7, 4096, 70_000)
                  select (text: string.Concat(parts), model, bufferSize);
        TestVocab.Check(gen, x =>
        {
            var tokenizer = Model(x.model);
            byte[] utf8 = Encoding.UTF8.GetBytes(x.text);
            var (ids, encoder) = Stream(new StreamingEncoder(tokenizer) { LongChunkThreshold = 16, MaxWindow = 1 }, utf8, x.bufferSize);
            return encoder.ForcedCuts == 0 && ids.SequenceEqual(tokenizer.EncodeToIds(x.text));
        }, maxTest: 100);
    }
}
