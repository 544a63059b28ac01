using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Token-identical to spm_encode (Debian sentencepiece 0.1.97) on Google's test models and on a matrix of
/// models spm_train makes here, one per normalization rule and flag, over 20,000+ real lines per model
/// (zh, en, code, ja) plus edge cases. Zero mismatches allowed; each test prints what it compared.
/// </summary>
public class SentencePieceParityTests(ITestOutputHelper output)
{
    private const int LinesPerSource = 5_000;

    public static TheoryData<string, string> TrainedModels => new()
    {
        { "nmt_nfkc", "--normalization_rule_name=nmt_nfkc" },
        { "nfkc_byte_fallback", "--normalization_rule_name=nfkc --byte_fallback=true" },
        { "identity_keep_spaces", "--normalization_rule_name=identity --remove_extra_whitespaces=false --add_dummy_prefix=false" },
        { "nmt_nfkc_cf_symbols", "--normalization_rule_name=nmt_nfkc_cf --user_defined_symbols=<sep>,[MASK],@@ --control_symbols=<ctl>,<2ja>" },
        { "suffix_byte_fallback", "--treat_whitespace_as_suffix=true --byte_fallback=true" },
        { "split_digits_coverage", "--split_digits=true --character_coverage=0.98" },
        { "no_dummy_prefix_nfkc", "--normalization_rule_name=nfkc --add_dummy_prefix=false --user_defined_symbols=▁▁,\u4E2D\u6587" },
    };

    [Theory]
    [InlineData("test_model.model")]
    [InlineData("test_ja_model.model")]
    public void SharedModelsMatchSpmEncode(string name) => AssertParity(SentencePiecePeer.SharedModelPath(name));

    [Theory]
    [MemberData(nameof(TrainedModels))]
    public void TrainedModelsMatchSpmEncode(string name, string flags) => AssertParity(SentencePiecePeer.TrainedModelPath(name, flags));

    private void AssertParity(string modelPath)
    {
        var tokenizer = SentencePieceTokenizer.Load(modelPath);
        List<byte[]> lines = SentencePiecePeer.RealLines(LinesPerSource);
        int real = lines.Count;
        lines.AddRange(SentencePiecePeer.EdgeCases());
        List<int[]> expected = SentencePiecePeer.Encode(modelPath, lines);
        var mismatches = new List<string>();
        long tokens = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            int[] ours = [.. tokenizer.EncodeToIds(lines[i].AsSpan())];
            tokens += ours.Length;
            if (ours.AsSpan().SequenceEqual(expected[i])) continue;
            if (mismatches.Count < 5)
                mismatches.Add($"line {i} \"{Encoding.UTF8.GetString(lines[i])[..Math.Min(80, Encoding.UTF8.GetString(lines[i]).Length)]}\"\n  ours: {Show(tokenizer, ours)}\n  spm:  {Show(tokenizer, expected[i])}");
            else mismatches.Add("");
        }
        output.WriteLine($"{Path.GetFileName(modelPath)}: compared {lines.Count:N0} lines ({real:N0} real, {lines.Count - real} edge cases), {tokens:N0} tokens, {mismatches.Count} mismatches");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {lines.Count} lines differ from spm_encode:\n" + string.Join("\n", mismatches.Where(m => m.Length > 0)));
    }

    private static string Show(SentencePieceTokenizer tokenizer, int[] ids)
        => string.Join(" ", ids.Take(40).Select(id => $"{id}:{tokenizer.Model.IdToPiece(id)}"));
}
