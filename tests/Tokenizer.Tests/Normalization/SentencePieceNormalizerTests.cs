using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// spm's normalizer: byte-identical to <c>spm_normalize</c> on real lines and edge cases, and the fast
/// paths (runs the charsmap leaves alone, ASCII a byte or sixteen bytes at a time) equal to the general
/// rule-by-rule path in bytes and in the offset map (where tokens can start or end), on generated text
/// built to cross their boundaries.
/// </summary>
public class SentencePieceNormalizerTests(ITestOutputHelper output)
{
    public static TheoryData<string> All => SentencePiecePeer.Models();

    // spm_normalize builds its normalizer from the normalizer spec alone: without the model's
    // user-defined symbols and without treat_whitespace_as_suffix (spm_encode applies both; the parity
    // tests check them through the ids). Left out here: the model whose symbols its rules would change
    // (nmt_nfkc_cf_symbols: [MASK] is case-folded) and the whitespace-as-suffix one.
    public static TheoryData<string> SameRulesInSpmNormalize
        => SentencePiecePeer.Models("test_model.model", "test_ja_model.model", "nmt_nfkc", "nfkc_byte_fallback", "identity_keep_spaces", "split_digits_coverage", "no_dummy_prefix_nfkc");

    // Pieces of text where the fast paths stop, start or decide: spaces and runs of them, letters that a
    // following combining mark composes with (kind 2), controls and tabs the map rewrites, characters
    // the map leaves alone or changes, U+2581, malformed bytes, and runs long enough to fill a block.
    private static readonly byte[][] Atoms =
    [
        .. new[]
        {
            "a", "Z", "q", " ", "  ", "   ", "\t", "\u0301", "e\u0301", "\u00E9", "\u4E2D", "\u2581", "1", ".", "<", "=", "~", "\u007F",
            "\u0001", "\u00A0", "\u3000", "\uFF21", "\uFB01", "abcdefghijklmnop", "The quick brown fox ", "x y z ", "\U0001F600", "\r",
        }.Select(Encoding.UTF8.GetBytes),
        [0x80], [0xC3], [0xE3, 0x81], [0xFF],
    ];

    private static Gen<byte[]> Text
        => Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements(Atoms), n)).Select(parts => parts.SelectMany(p => p).ToArray());

    [SkippableTheory]
    [MemberData(nameof(All))]
    public void FastPaths_EqualTheGeneralPath_InBytesAndOffsets(string name)
    {
        SentencePieceNormalizer fast = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath(name)).Model.Normalizer;
        SentencePieceNormalizer reference = fast.WithoutFastPaths();
        var a = new NormalizedBuffer();
        var b = new NormalizedBuffer();
        TestVocab.Check(Text, text =>
        {
            fast.Normalize(text, a);
            reference.Normalize(text, b);
            if (a.Bytes.SequenceEqual(b.Bytes) && AtCharacterStarts(a).SequenceEqual(AtCharacterStarts(b))) return true;
            throw new Xunit.Sdk.XunitException($"input {Convert.ToHexString(text)}:\n fast {Convert.ToHexString(a.Bytes)} [{string.Join(",", a.ToOriginal.ToArray())}]\n rule {Convert.ToHexString(b.Bytes)} [{string.Join(",", b.ToOriginal.ToArray())}]");
        }, maxTest: 2000);
    }

    /// <summary>
    /// The offset map where it can be observed: at each character start and at the end (tokens begin and
    /// end there). Inside a copied character the fast paths record each byte's own offset, the general path
    /// the character's start; nothing reads those entries.
    /// </summary>
    private static int[] AtCharacterStarts(NormalizedBuffer buffer)
    {
        ReadOnlySpan<byte> bytes = buffer.Bytes;
        ReadOnlySpan<int> map = buffer.ToOriginal;
        var result = new List<int>();
        for (int k = 0; k <= bytes.Length; k++)
            if (k == bytes.Length || (bytes[k] & 0xC0) != 0x80) result.Add(map[k]);
        return [.. result];
    }

    [SkippableTheory]
    [MemberData(nameof(SameRulesInSpmNormalize))]
    public void MatchesSpmNormalize(string name)
    {
        string modelPath = SentencePiecePeer.ModelPath(name);
        var tokenizer = SentencePieceTokenizer.Load(modelPath);
        List<byte[]> lines = SentencePiecePeer.RealLines(2_000);
        lines.AddRange(SentencePiecePeer.EdgeCases());
        var random = new System.Random(20261201);
        for (int k = 0; k < 500; k++)
            lines.Add([.. Enumerable.Range(0, random.Next(0, 30)).SelectMany(_ => Atoms[random.Next(Atoms.Length)]).Where(c => c != (byte)'\n' && c != (byte)'\r')]);
        List<byte[]> expected = SentencePiecePeer.Normalize(modelPath, lines);
        var normalized = new NormalizedBuffer();
        int mismatches = 0;
        string first = "";
        for (int i = 0; i < lines.Count; i++)
        {
            tokenizer.Model.Normalizer.Normalize(lines[i], normalized);
            if (normalized.Bytes.SequenceEqual(expected[i])) continue;
            if (mismatches++ == 0) first = $"line {i} \"{Encoding.UTF8.GetString(lines[i])}\": ours \"{Encoding.UTF8.GetString(normalized.Bytes)}\", spm \"{Encoding.UTF8.GetString(expected[i])}\"";
        }
        output.WriteLine($"{name}: {lines.Count:N0} lines normalized, {mismatches} differ from spm_normalize");
        Assert.True(mismatches == 0, $"{mismatches} of {lines.Count} lines differ; first: {first}");
    }
}
