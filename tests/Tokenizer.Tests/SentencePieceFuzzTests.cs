using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Fixed-seed fuzzing of the SentencePiece and tokenizer.json loaders and encoders: a mutated file loads
/// (and then encodes a probe) or raises ModelFormatException; adversarial text encodes without an
/// exception and decodes. BYTEPIECE_FUZZ_CASES runs more, as for the BytePiece loaders.
/// </summary>
public class SentencePieceFuzzTests(ITestOutputHelper output)
{
    private static readonly string Probe = "fuzz 测试 \t  <s>\u0301\uFFFD end ";

    [Fact]
    public void MutatedModelProtos_LoadOrGiveModelFormatException()
    {
        var random = new Random(20261201);
        byte[] original = File.ReadAllBytes(SentencePiecePeer.SharedModelPath("test_model.model"));
        byte[] other = File.ReadAllBytes(SentencePiecePeer.SharedModelPath("test_ja_model.model"));
        int loaded = 0, rejected = 0, cases = FuzzTests.Cases(300);
        for (int i = 0; i < cases; i++)
        {
            byte[] mutated = FuzzTests.Mutate(original, random, other);
            try
            {
                var tokenizer = new SentencePieceTokenizer(SentencePieceModel.FromBytes(mutated));
                tokenizer.Decode(tokenizer.EncodeToIds(Probe));
                tokenizer.EncodeToIds(Probe, new SamplingOptions(0.5, (ulong)i));
                loaded++;
            }
            catch (ModelFormatException)
            {
                rejected++;
            }
        }
        output.WriteLine($".model: {cases} mutated files, {loaded} loaded, {rejected} rejected with ModelFormatException");
        Assert.Equal(cases, loaded + rejected);
        Assert.True(rejected > 0 && loaded > 0);
    }

    [Fact]
    public void MutatedTokenizerJson_LoadsOrGivesModelFormatException()
    {
        var random = new Random(20261202);
        using var buffer = new MemoryStream();
        TokenizerJsonWriter.Write(SentencePieceModel.Load(SentencePiecePeer.SharedModelPath("test_model.model")), buffer);
        byte[] original = buffer.ToArray();
        int loaded = 0, rejected = 0, cases = FuzzTests.Cases(300);
        for (int i = 0; i < cases; i++)
        {
            byte[] mutated = FuzzTests.Mutate(original, random, original);
            try
            {
                var tokenizer = HuggingFaceTokenizer.FromJson(mutated);
                try { tokenizer.Decode(tokenizer.EncodeToIds(Probe)); }
                catch (InvalidOperationException e) when (e.Message.Contains("unk_id")) { } // documented: no unk_id and an unknown character
                loaded++;
            }
            catch (ModelFormatException)
            {
                rejected++;
            }
        }
        output.WriteLine($"tokenizer.json: {cases} mutated files, {loaded} loaded, {rejected} rejected with ModelFormatException");
        Assert.Equal(cases, loaded + rejected);
        Assert.True(rejected > 0 && loaded > 0);
    }

    [Fact]
    public void AdversarialInputs_EncodeWithoutExceptions()
    {
        var random = new Random(11);
        var spm = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath("test_ja_model.model"));
        var fallback = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath("nfkc_byte_fallback"));
        using var buffer = new MemoryStream();
        TokenizerJsonWriter.Write(spm.Model, buffer);
        var hf = HuggingFaceTokenizer.FromJson(buffer.ToArray());
        int cases = FuzzTests.Cases(200);
        for (int i = 0; i < cases; i++)
        {
            byte[] bytes = random.Next(4) switch
            {
                0 => FuzzTests.RandomBytes(random, random.Next(0, 2000)),
                1 => Enumerable.Repeat((byte)" a\0\xff\t"u8[random.Next(5)], random.Next(1, 20_000)).ToArray(),
                2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 300)).Select(_ => (char)random.Next(0x20, 0xD7FF)))),
                _ => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ab ", random.Next(1, 3000)))),
            };
            foreach (SentencePieceTokenizer t in new[] { spm, fallback })
            {
                IReadOnlyList<int> ids = t.EncodeToIds(bytes.AsSpan());
                t.Decode(ids);
                if (bytes.Length < 3000) t.EncodeToIds(bytes.AsSpan(), new SamplingOptions(random.NextDouble(), (ulong)i));
                string text = Encoding.UTF8.GetString(bytes);
                foreach (EncodedToken token in t.EncodeToTokens(text))
                    Assert.True(token.Offset.Start.Value <= token.Offset.End.Value && token.Offset.End.Value <= text.Length);
            }
            string s = Encoding.UTF8.GetString(bytes);
            hf.Decode(hf.EncodeToIds(s));
        }
        output.WriteLine($"SentencePiece (plain, byte fallback) and tokenizer.json encoders: {cases} adversarial inputs");
    }
}
