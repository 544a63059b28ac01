using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Fixed-seed fuzzing of the loaders and encoders: every input either works or raises the one documented
/// exception type, never a crash, a hang or an out-of-range access. Case counts go to the test output.
/// Set BYTEPIECE_FUZZ_CASES to run more (the long mode).
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    internal static int Cases(int ci) => int.TryParse(Environment.GetEnvironmentVariable("BYTEPIECE_FUZZ_CASES"), out int n) ? n : ci;

    internal static byte[] Mutate(byte[] original, Random random, byte[] other)
    {
        byte[] file = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0: return file[..random.Next(file.Length)];                                   // truncate
            case 1: for (int k = random.Next(1, 8); k > 0; k--) file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8)); return file; // bit flips
            case 2: { int at = random.Next(file.Length); return [.. file[..at], .. RandomBytes(random, random.Next(1, 16)), .. file[at..]]; } // insert
            case 3: { int at = random.Next(file.Length - 16); return [.. file[..at], .. file[(at + random.Next(1, 16))..]]; } // delete
            case 4: { int cut = random.Next(Math.Min(file.Length, other.Length)); return [.. file[..cut], .. other[cut..]]; } // splice
            default: for (int k = random.Next(1, 4); k > 0; k--) file[random.Next(file.Length)] = (byte)random.Next(256); return file; // overwrite
        }
    }

    internal static byte[] RandomBytes(Random random, int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }

    /// <summary>A small real model (40k pieces cut to the 256 bytes and 2,000 more) so each case loads fast.</summary>
    private static UnigramModel SmallModel()
    {
        var full = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        return UnigramModel.FromCounts(full.Pieces.OrderBy(p => p.Id).Take(2256).Select(p => new KeyValuePair<byte[], long>(p.Bytes.ToArray(), p.Count)));
    }

    private static void LoadOrReject(Func<UnigramModel> load, ref int loaded, ref int rejected)
    {
        try
        {
            var model = load();
            var tokenizer = new BytePieceTokenizer(model);
            byte[] probe = "fuzz 测试 \n\xff"u8.ToArray();
            if (!tokenizer.DecodeBytes(tokenizer.EncodeBytes(probe)).AsSpan().SequenceEqual(probe)) throw new InvalidOperationException("a loaded model broke the round trip");
            loaded++;
        }
        catch (ModelFormatException)
        {
            rejected++;
        }
    }

    [SkippableFact]
    public void MutatedJsonModels_LoadOrGiveModelFormatException()
    {
        var random = new Random(20261123);
        using var a = new MemoryStream();
        BytePieceJson.Write(SmallModel(), a);
        byte[] json = a.ToArray(), other = File.ReadAllBytes(SharedData.BytePieceModelPath("bytepiece.plus.40k.model"))[..json.Length];
        int loaded = 0, rejected = 0, cases = Cases(400);
        for (int i = 0; i < cases; i++)
        {
            byte[] mutated = Mutate(json, random, other);
            LoadOrReject(() => BytePieceJson.Read(mutated), ref loaded, ref rejected);
        }
        output.WriteLine($"JSON: {cases} mutated files, {loaded} loaded, {rejected} rejected with ModelFormatException");
        Assert.Equal(cases, loaded + rejected);
        Assert.True(rejected > cases / 2);
    }

    [SkippableFact]
    public void MutatedNativeModels_WithTheChecksumResealed_LoadOrGiveModelFormatException()
    {
        // Re-sealing the CRC gets every mutation past the checksum, into the structural checks and the stored trie's validation.
        var random = new Random(20261124);
        using var a = new MemoryStream();
        NativeModelFormat.Write(SmallModel(), a);
        byte[] native = a.ToArray();
        int loaded = 0, rejected = 0, cases = Cases(400);
        for (int i = 0; i < cases; i++)
        {
            byte[] mutated = Mutate(native, random, native);
            if (mutated.Length >= 4 && random.Next(4) > 0)
                BitConverter.GetBytes(NativeModelFormat.Crc32C(mutated.AsSpan(0, mutated.Length - 4))).CopyTo(mutated, mutated.Length - 4);
            LoadOrReject(() => NativeModelFormat.Read(mutated), ref loaded, ref rejected);
        }
        output.WriteLine($"native: {cases} mutated files, {loaded} loaded, {rejected} rejected with ModelFormatException");
        Assert.Equal(cases, loaded + rejected);
    }

    [SkippableFact]
    public void AdversarialInputs_EncodeLosslesslyOnEveryPath()
    {
        var random = new Random(7);
        var tokenizer = SharedData.Tokenizer("bytepiece.plus.40k.model");
        int cases = Cases(300);
        for (int i = 0; i < cases; i++)
        {
            byte[] bytes = random.Next(4) switch
            {
                0 => RandomBytes(random, random.Next(0, 2000)),                                        // random, mostly invalid UTF-8
                1 => Enumerable.Repeat((byte)"a\n\0\xff"u8[random.Next(4)], random.Next(1, 20_000)).ToArray(), // long runs
                2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 300)).Select(_ => (char)random.Next(0x20, 0xD7FF)))), // random BMP text
                _ => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ab", random.Next(1, 5000)))), // repetitive: wide lattices
            };
            int[] ids = tokenizer.EncodeBytes(bytes, sampling: random.Next(2) == 0 ? null : new SamplingOptions(random.NextDouble(), (ulong)i));
            Assert.Equal(bytes, tokenizer.DecodeBytes(ids));
            var streamed = new StreamingEncoder(tokenizer, raw: true) { LongChunkThreshold = 64 }
                .EncodeAsync(System.IO.Pipelines.PipeReader.Create(new MemoryStream(bytes))).ToBlockingEnumerable().ToArray();
            Assert.Equal(tokenizer.EncodeBytes(bytes), streamed);
            // Strings with lone surrogates: encoded as U+FFFD, never an exception.
            string text = new string(Enumerable.Range(0, random.Next(0, 50)).Select(_ => (char)random.Next(0xD7F0, 0xE010)).ToArray());
            string expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).Normalize(NormalizationForm.FormC);
            Assert.Equal(expected, tokenizer.Decode(tokenizer.EncodeToIds(text)));
            Assert.Equal(text.Length, tokenizer.EncodeToPieceTokens(text).LastOrDefault().Offset.End.Value is int end && text.Length > 0 ? end : 0);
        }
        output.WriteLine($"encoders: {cases} adversarial inputs, each through EncodeBytes (Viterbi or sampling), streaming and the string API");
    }

    [SkippableFact]
    public void CraftedSizeModels_AreRefusedWithModelFormatException()
    {
        // Issue 19: one oversized piece (or many long ones) at a random place; each must be refused, cheaply.
        var random = new Random(1919);
        int cases = Cases(12);
        for (int c = 0; c < cases; c++)
        {
            var pieces = Enumerable.Range(0, random.Next(0, 20)).Select(_ => RandomBytes(random, random.Next(2, 64))).ToList();
            pieces.Insert(random.Next(pieces.Count + 1), RandomBytes(random, ModelLimits.MaxPieceBytes + 1 + random.Next(3 * ModelLimits.MaxPieceBytes)));
            var distinct = pieces.DistinctBy(Convert.ToBase64String).ToList();
            var e = Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(ModelSizeLimitTests.BytePieceJsonWith(distinct)));
            Assert.Contains("MaxPieceBytes", e.Message);
        }
        // Many pieces within the length limit that together pass the total.
        var many = Enumerable.Range(0, ModelLimits.MaxTotalPieceBytes / ModelLimits.MaxPieceBytes + 2).Select(_ => RandomBytes(random, ModelLimits.MaxPieceBytes)).ToList();
        Assert.Contains("MaxTotalPieceBytes", Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(ModelSizeLimitTests.BytePieceJsonWith(many))).Message);
        output.WriteLine($"crafted-size models: {cases} oversized pieces and one oversized vocabulary, all refused");
    }
}
