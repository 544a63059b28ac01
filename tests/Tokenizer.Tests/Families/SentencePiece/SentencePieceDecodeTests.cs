using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Decoding equals python3-sentencepiece's <c>decode_ids</c>: on the ids of real lines, and on random id
/// sequences that mix control, unknown, byte and user-defined pieces (fixed seed), where the rules
/// (invisible controls, the unknown surface, byte runs read as UTF-8, the dummy-prefix space) all meet.
/// </summary>
public class SentencePieceDecodeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => SentencePiecePeer.Models("test_model.model", "nmt_nfkc", "nfkc_byte_fallback", "identity_keep_spaces", "suffix_byte_fallback", "nmt_nfkc_cf_symbols");

    [SkippableFact]
    public void DenormalizerSpec_IsAppliedAfterDecoding_AsSpmDecodeDoes()
    {
        string model = SentencePiecePeer.DenormalizedModelPath();
        var tokenizer = SentencePieceTokenizer.Load(model);
        Assert.Equal("THE cAt fixed", tokenizer.Decode(tokenizer.EncodeToIds("the cat fixed")).Replace("\uFB01", "fi"));
        Assert.Contains("\uFB01", tokenizer.Decode(tokenizer.EncodeToIds("the cat fixed")));
        DecodeEqualsPythonSentencePiece(model);
    }

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void DecodeEqualsPythonSentencePiece(string name)
    {
        string model = name.EndsWith(".model") && File.Exists(name) ? name : SentencePiecePeer.ModelPath(name);
        var tokenizer = SentencePieceTokenizer.Load(model);
        var sequences = SentencePiecePeer.RealLines(300).Concat(SentencePiecePeer.EdgeCases())
            .Select(l => tokenizer.EncodeToIds(l.AsSpan()).ToArray()).ToList();
        var random = new Random(20261201);
        int[] special = Enumerable.Range(0, tokenizer.VocabSize).Where(id => tokenizer.Model.GetPieceType(id) != SentencePieceType.Normal).ToArray();
        for (int k = 0; k < 2000; k++)
        {
            int length = random.Next(0, 12);
            sequences.Add(Enumerable.Range(0, length).Select(_ => random.Next(3) == 0 ? special[random.Next(special.Length)] : random.Next(tokenizer.VocabSize)).ToArray());
        }
        const string script = """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            for line in open(sys.argv[2], encoding='utf-8').read().split('\n')[:-1]:
                ids = [int(x) for x in line.split()] if line else []
                sys.stdout.write(sp.decode_ids(ids).encode('utf-8').hex() + '\n')
            """;
        string text = SentencePiecePeer.RunPython(script, model, string.Concat(sequences.Select(s => string.Join(" ", s) + "\n")));
        List<string> expected = text.Split('\n').SkipLast(1).Select(l => System.Text.Encoding.UTF8.GetString(Convert.FromHexString(l))).ToList();
        Assert.Equal(sequences.Count, expected.Count);
        int mismatches = 0;
        string first = "";
        for (int i = 0; i < sequences.Count; i++)
        {
            string ours = tokenizer.Decode(sequences[i]);
            if (ours == expected[i]) continue;
            if (mismatches++ == 0) first = $"ids [{string.Join(" ", sequences[i])}] ({string.Join(" ", sequences[i].Select(tokenizer.Model.IdToPiece))}): ours \"{ours}\", spm \"{expected[i]}\"";
        }
        output.WriteLine($"{name}: decoded {sequences.Count:N0} id sequences ({sequences.Count - 2000} from real lines, 2,000 random), {mismatches} mismatches");
        Assert.True(mismatches == 0, $"{mismatches} sequences decode differently; first: {first}");
    }
}
