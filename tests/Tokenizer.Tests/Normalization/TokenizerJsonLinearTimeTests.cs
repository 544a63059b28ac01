using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Every tokenizer.json normalizer, pre-tokenizer and decoder runs in linear time on the inputs that
/// would make a step quadratic (many matches, one huge word, one huge grapheme cluster, long whitespace
/// runs): four times the input takes at most about four times as long (asserted below 10: quadratic work
/// gives 16). Issue 19: Replace copied the whole text once per match ('ab  ' x 75,000 took 196 s).
/// </summary>
[Collection(GrowthRatio.Collection)]
public class TokenizerJsonLinearTimeTests(ITestOutputHelper output)
{
    private const double MaxRatio = 10;

    /// <summary>Google's test_model as tokenizer.json, with the given steps in place of its own (null: kept).</summary>
    internal static HuggingFaceTokenizer Model(string? normalizer = null, string? preTokenizer = null, string? decoder = null)
    {
        var spm = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath("test_model.model"));
        using var json = new MemoryStream();
        TokenizerJsonWriter.Write(spm.Model, json);
        JsonNode root = JsonNode.Parse(json.ToArray())!;
        if (normalizer is not null) root["normalizer"] = JsonNode.Parse(normalizer);
        if (preTokenizer is not null) root["pre_tokenizer"] = JsonNode.Parse(preTokenizer);
        if (decoder is not null) root["decoder"] = JsonNode.Parse(decoder);
        return HuggingFaceTokenizer.FromJson(Encoding.UTF8.GetBytes(root.ToJsonString()));
    }

    private void AssertLinear(string what, int n, Func<int, string> text, HuggingFaceTokenizer tokenizer)
    {
        var inputs = new Dictionary<int, string> { [n] = text(n), [4 * n] = text(4 * n) };
        double ratio = GrowthRatio.OfFourTimes(n, size => tokenizer.EncodeToPieceTokens(inputs[size]), repeats: 5);
        output.WriteLine($"{what}: {inputs[n].Length:N0} -> {inputs[4 * n].Length:N0} chars, time x {ratio:F2}");
        Assert.True(ratio < MaxRatio, $"{what}: four times the input took {ratio:F1} times as long");
    }

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    [SkippableFact]
    public void Replace_WithAMatchEveryFewCharacters_IsLinear()
        => AssertLinear("Replace ' {2,}' on 'ab  ' x n", 10_000, n => Repeat("ab  ", n), Model());

    [SkippableFact]
    public void Replace_OfALiteralThatGrowsTheText_IsLinear()
        => AssertLinear("Replace 'a' -> 'bb' on a line of a's", 20_000, n => Repeat("a", n),
            Model(normalizer: """{"type":"Replace","pattern":{"String":"a"},"content":"bb"}"""));

    [SkippableFact]
    public void Precompiled_OnALongLineWithoutSpaces_AndOnOneHugeCluster_IsLinear()
    {
        HuggingFaceTokenizer tokenizer = Model();
        AssertLinear("Precompiled, one word", 8_000, n => Repeat("thequickbrownfox", n), tokenizer);
        AssertLinear("Precompiled, one cluster of combining marks", 15_000, n => "a" + Repeat("\u0301", n), tokenizer);
        AssertLinear("Precompiled, one cluster of alternating marks", 10_000, n => "a" + Repeat("\u0301\u0316", n), tokenizer);
    }

    [SkippableTheory]
    [InlineData("NFC")]
    [InlineData("NFD")]
    [InlineData("NFKC")]
    [InlineData("NFKD")]
    public void UnicodeForms_OnManyClusters_AndOnOneHugeCluster_AreLinear(string form)
    {
        HuggingFaceTokenizer tokenizer = Model(normalizer: $$"""{"type":"{{form}}"}""");
        AssertLinear($"{form}, many clusters", 10_000, n => Repeat("e\u0301x\uFB01 ", n), tokenizer);
        AssertLinear($"{form}, one cluster of combining marks", 10_000, n => "a" + Repeat("\u0301", n), tokenizer);
        // Classes 230 and 220 alternating: ICU's insertion ordering alone took 30 s on 160,000 of them.
        AssertLinear($"{form}, one cluster of alternating marks", 5_000, n => "a" + Repeat("\u0301\u0316", n), tokenizer);
    }

    [SkippableFact]
    public void TheLinearRouteOfUnicodeForms_EqualsIcu_OnRandomMixesOfMarksAndLetters()
    {
        // Letters, marks of several classes, code points that decompose into marks (U+0344, U+0F73; U+FF9E
        // only under compatibility), precomposed letters, Hangul syllables and jamo, and compositions.
        string[] pool = ["a", "e", "A", " ", "\u0301", "\u0316", "\u0300", "\u0345", "\u05B0", "\u0E48", "\u0344", "\u0F73", "\uFF9E",
            "\u3099", "\u30AB", "\u1E0B", "\u1E63", "\u0323", "\u0307", "\uAC00", "\u1100", "\u1161", "\u11A8", "\u212B", "\uFB01",
            "\u00E9", "\u0CBF", "\u0CD5", "\U0001D165", "\U0001D16E", "\u0338", "\u2260", "\u0FB2", "\u0F80"];
        var random = new Random(20261203);
        NormalizationForm[] forms = [NormalizationForm.FormC, NormalizationForm.FormD, NormalizationForm.FormKC, NormalizationForm.FormKD];
        for (int i = 0; i < 4000; i++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(60)).Select(_ => pool[random.Next(pool.Length)]));
            foreach (NormalizationForm form in forms)
                Assert.True(text.Normalize(form) == UnicodeForms.NormalizeInOrder(text, form), $"{form} of [{string.Join(" ", text.EnumerateRunes().Select(r => r.Value.ToString("X4")))}]");
        }
    }

    [SkippableFact]
    public void Lowercase_Strip_AndPrepend_AreLinear()
    {
        AssertLinear("Lowercase", 8_000, n => Repeat("HeLLo WÖRLD ", n), Model(normalizer: """{"type":"Lowercase"}"""));
        AssertLinear("Strip, long whitespace both sides", 30_000, n => Repeat(" ", n) + "hello" + Repeat("\t", n),
            Model(normalizer: """{"type":"Strip","strip_left":true,"strip_right":true}"""));
        AssertLinear("Prepend", 8_000, n => Repeat("hello world ", n), Model(normalizer: """{"type":"Prepend","prepend":"▁"}"""));
    }

    [SkippableFact]
    public void PreTokenizers_OnManyWords_AndOnOneHugeWord_AreLinear()
    {
        AssertLinear("Metaspace split, many words", 12_000, n => Repeat("ab ", n), Model());
        AssertLinear("Metaspace split, one word", 8_000, n => Repeat("abcdefgh", n), Model());
        AssertLinear("Metaspace unsplit, many spaces", 12_000, n => Repeat("ab ", n),
            Model(preTokenizer: """{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}"""));
        AssertLinear("WhitespaceSplit", 12_000, n => Repeat("ab  ", n),
            Model(normalizer: "null", preTokenizer: """{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}]}"""));
    }

    [SkippableFact]
    public void Decoders_OnManyTokens_AreLinear()
    {
        HuggingFaceTokenizer tokenizer = Model(decoder: """
            {"type":"Sequence","decoders":[
              {"type":"Replace","pattern":{"String":"▁"},"content":" "},
              {"type":"ByteFallback"},
              {"type":"Fuse"},
              {"type":"Strip","content":" ","start":1,"stop":0},
              {"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}]}
            """);
        int[] unit = [.. tokenizer.EncodeToIds("hello world, this is a test of decoding"), .. Enumerable.Range(3, 256)];
        int[] Ids(int n) => [.. Enumerable.Range(0, n).SelectMany(_ => unit)];
        var inputs = new Dictionary<int, int[]> { [500] = Ids(500), [2000] = Ids(2000) };
        double ratio = GrowthRatio.OfFourTimes(500, size => tokenizer.Decode(inputs[size]));
        output.WriteLine($"decoders: {inputs[500].Length:N0} -> {inputs[2000].Length:N0} ids, time x {ratio:F2}");
        Assert.True(ratio < MaxRatio, $"decoders: four times the ids took {ratio:F1} times as long");
    }
}
