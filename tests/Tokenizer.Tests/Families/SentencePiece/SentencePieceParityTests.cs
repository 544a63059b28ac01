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

    public static TheoryData<string> All => SentencePiecePeer.Models();

    [SkippableTheory]
    [MemberData(nameof(All))]
    public void MatchesSpmEncode(string name) => AssertParity(SentencePiecePeer.ModelPath(name));

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
