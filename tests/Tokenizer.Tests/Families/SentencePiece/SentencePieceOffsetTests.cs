using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Token spans in the original text equal python3-sentencepiece's <c>encode_as_immutable_proto</c>
/// (begin/end, which the binding reports in code points) on every line, and the UTF-16 ranges agree
/// with the byte ranges.
/// </summary>
public class SentencePieceOffsetTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => SentencePiecePeer.Models("test_model.model", "nmt_nfkc", "nfkc_byte_fallback", "identity_keep_spaces", "suffix_byte_fallback", "nmt_nfkc_cf_symbols");

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void SpansEqualPythonSentencePiece(string name)
    {
        string model = SentencePiecePeer.ModelPath(name);
        var tokenizer = SentencePieceTokenizer.Load(model);
        List<string> lines = SentencePiecePeer.TextLines(800);
        List<(int Id, int Begin, int End)[]> expected = PythonSpans(model, lines);
        int mismatches = 0, tokens = 0;
        string first = "";
        for (int i = 0; i < lines.Count; i++)
        {
            IReadOnlyList<PieceToken> ours = tokenizer.EncodeToPieceTokens(lines[i]);
            byte[] utf8 = Encoding.UTF8.GetBytes(lines[i]);
            var mine = ours.Select(t => (t.Id, CodePoints(utf8, t.ByteOffset.Start.Value), CodePoints(utf8, t.ByteOffset.End.Value))).ToArray();
            tokens += mine.Length;
            foreach (PieceToken t in ours)
                Assert.Equal(Encoding.UTF8.GetByteCount(lines[i].AsSpan()[t.Offset]), t.ByteOffset.End.Value - t.ByteOffset.Start.Value);
            if (mine.SequenceEqual(expected[i])) continue;
            if (mismatches++ == 0) first = $"line {i} \"{lines[i]}\": ours {string.Join(" ", mine)}; spm {string.Join(" ", expected[i])}";
        }
        output.WriteLine($"{name}: compared the spans of {tokens:N0} tokens on {lines.Count:N0} lines, {mismatches} mismatches");
        Assert.True(mismatches == 0, $"{mismatches} lines differ; first: {first}");
    }

    private static int CodePoints(byte[] utf8, int byteOffset)
    {
        int count = 0;
        for (int i = 0; i < byteOffset; i++) if ((utf8[i] & 0xC0) != 0x80) count++;
        return count;
    }

    private static List<(int, int, int)[]> PythonSpans(string model, List<string> lines)
    {
        const string script = """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            out = sys.stdout
            for line in open(sys.argv[2], encoding='utf-8', newline='\n').read().split('\n')[:-1]:
                p = sp.encode_as_immutable_proto(line)
                out.write(' '.join(f'{x.id},{x.begin},{x.end}' for x in p.pieces) + '\n')
            """;
        string text = SentencePiecePeer.RunPython(script, model, string.Concat(lines.Select(l => l + "\n")));
        return text.Split('\n').SkipLast(1).Select(l => l.Length == 0 ? [] : l.Split(' ').Select(t =>
        {
            string[] f = t.Split(',');
            return (int.Parse(f[0]), int.Parse(f[1]), int.Parse(f[2]));
        }).ToArray()).ToList();
    }
}
