using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>The string API: NFC, offsets into the original string, token budgets, decoding.</summary>
public class TextApiTests
{
    /// <summary>Strings mixing ASCII, CJK, combining marks (NFD input), Hangul jamo, emoji, '\n' and lone surrogates.</summary>
    private static readonly string[] Atoms =
        ["a", "b", " ", "\n", "\r\n", "中", "文", "é", "e\u0301", "A\u030A", "\u1100\u1161\u11A8", "😀", "👍🏽", "\u0301", "\uD800", "\uDC00", "x\u0323\u0307", "ﬁ", "Å"];

    private static Gen<string> Text(int maxAtoms) =>
        Gen.Choose(0, maxAtoms).SelectMany(n => Gen.ArrayOf(Gen.Elements(Atoms), n)).Select(parts => string.Concat(parts));

    private static Gen<(UnigramModel Model, string[] Texts)> Case =>
        from model in TestVocab.Model
        from texts in Gen.ArrayOf(Text(12), 3)
        select (model, texts);

    /// <summary>What the encoder should see: lone surrogates as U+FFFD, then NFC.</summary>
    private static string Expected(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)).Normalize(NormalizationForm.FormC);

    [SkippableFact]
    public void Decode_OfEncodeToIds_IsTheNfcText()
    {
        TestVocab.Check(Case, c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            return c.Texts.All(t => tokenizer.Decode(tokenizer.EncodeToIds(t)) == Expected(t));
        });
    }

    [SkippableFact]
    public void EncodeToIds_IsEncodeBytesOfTheNfcUtf8()
    {
        TestVocab.Check(Case, c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            return c.Texts.All(t => tokenizer.EncodeToIds(t).SequenceEqual(tokenizer.EncodeBytes(Encoding.UTF8.GetBytes(Expected(t)))));
        });
    }

    [SkippableFact]
    public void EncodeToTokens_OffsetsCoverTheOriginalStringExactlyOnceInOrder()
    {
        TestVocab.Check(Case, c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (string t in c.Texts)
            {
                var tokens = tokenizer.EncodeToPieceTokens(t);
                int chars = 0, bytes = 0;
                foreach (var token in tokens)
                {
                    if (token.Offset.Start.Value != chars || token.Offset.End.Value < chars) return false;
                    if (token.ByteOffset.Start.Value != bytes || token.ByteOffset.End.Value - bytes != token.Bytes.Length) return false;
                    if (!token.Bytes.Span.SequenceEqual(c.Model.GetPieceBytes(token.Id))) return false;
                    chars = token.Offset.End.Value;
                    bytes = token.ByteOffset.End.Value;
                }
                if (chars != t.Length || bytes != Encoding.UTF8.GetByteCount(Expected(t))) return false;
            }
            return true;
        });
    }

    [SkippableFact]
    public void EncodeToTokens_OnNfcText_EachTokenStartingOnACharacterCoversExactlyItsText()
    {
        // With an ensure-unicode model every token is whole characters, so offsets are exact substrings.
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = "广州的白云机场 is busy today.\nnext line\n\n";
        foreach (var token in tokenizer.EncodeToPieceTokens(text))
            Assert.Equal(token.Value, text[token.Offset]);
    }

    [SkippableFact]
    public void EncodeToTokens_NfdInput_MapsOffsetsToTheOriginalCharacters()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = "Cafe\u0301 au lait"; // NFD é
        var tokens = tokenizer.EncodeToPieceTokens(text);
        Assert.Equal("Café au lait", string.Concat(tokens.Select(t => t.Value)));
        Assert.Equal(text.Length, tokens[^1].Offset.End.Value);
        // The token that holds "é" covers both original code units (e + combining acute).
        var withAccent = tokens.Single(t => t.Value.Contains('é'));
        string original = text[withAccent.Offset];
        Assert.Contains("e\u0301", original);
    }

    [SkippableFact]
    public void GetIndexByTokenCount_ReturnsTheLongestWholeTokenPrefixWithinTheBudget()
    {
        var gen = from c in Case from budget in Gen.Choose(0, 12) select (c.Model, c.Texts, budget);
        TestVocab.Check(gen, c =>
        {
            var tokenizer = new BytePieceTokenizer(c.Model);
            foreach (string t in c.Texts)
            {
                var tokens = tokenizer.EncodeToPieceTokens(t);
                int limit = Math.Min(c.budget, tokens.Count);

                int index = tokenizer.GetIndexByTokenCount(t, c.budget, out _, out int count);
                if (count > c.budget || !SplitsCleanly(t, index, tokens, count)) return Fail("prefix", t, c.budget, index, count);
                for (int k = count + 1; k <= limit; k++)
                    if (Enumerable.Range(0, t.Length + 1).Any(i => SplitsCleanly(t, i, tokens, k))) return Fail($"prefix not maximal (k={k})", t, c.budget, index, count);

                int start = tokenizer.GetIndexByTokenCountFromEnd(t, c.budget, out _, out int countFromEnd);
                if (countFromEnd > c.budget || !SplitsCleanly(t, start, tokens, tokens.Count - countFromEnd)) return Fail("suffix", t, c.budget, start, countFromEnd);
                for (int k = countFromEnd + 1; k <= limit; k++)
                    if (Enumerable.Range(0, t.Length + 1).Any(i => SplitsCleanly(t, i, tokens, tokens.Count - k))) return Fail($"suffix not maximal (k={k})", t, c.budget, start, countFromEnd);
            }
            return true;
        });
    }

    private static bool Fail(string what, string text, int budget, int index, int count)
        => throw new Xunit.Sdk.XunitException($"{what}: text [{string.Join(" ", text.Select(ch => ((int)ch).ToString("X4")))}], budget {budget}, index {index}, count {count}");

    /// <summary>
    /// The contract: index i is a clean cut after the first k tokens when text[..i] normalizes to exactly
    /// those tokens' bytes and text[i..] to exactly the rest (each side encodes on its own to the same bytes).
    /// </summary>
    private static bool SplitsCleanly(string text, int i, IReadOnlyList<PieceToken> tokens, int k)
        => !(i > 0 && i < text.Length && char.IsLowSurrogate(text[i]) && char.IsHighSurrogate(text[i - 1]))
            && Utf8Of(Expected(text[..i])).SequenceEqual(Concat(tokens.Take(k)))
            && Utf8Of(Expected(text[i..])).SequenceEqual(Concat(tokens.Skip(k)));

    private static byte[] Utf8Of(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Concat(IEnumerable<PieceToken> tokens) => tokens.SelectMany(x => x.Bytes.ToArray()).ToArray();

    [SkippableFact]
    public void GetIndexByTokenCount_OnRealText_TrimsToTheBudget()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = "The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。";
        var ids = tokenizer.EncodeToIds(text);
        for (int budget = 0; budget <= ids.Count + 1; budget++)
        {
            int index = tokenizer.GetIndexByTokenCount(text, budget, out _, out int count);
            Assert.InRange(count, Math.Max(0, Math.Min(budget, ids.Count) - 3), Math.Min(budget, ids.Count)); // at most 3 tokens inside one character
            Assert.Equal(ids.Take(count), tokenizer.EncodeToIds(text[..index]).Take(count));
            int start = tokenizer.GetIndexByTokenCountFromEnd(text, budget, out _, out int countFromEnd);
            Assert.InRange(countFromEnd, Math.Max(0, Math.Min(budget, ids.Count) - 3), Math.Min(budget, ids.Count));
            Assert.Equal(ids.TakeLast(countFromEnd), tokenizer.EncodeToIds(text[start..]).TakeLast(countFromEnd));
        }
        Assert.Equal(text.Length, tokenizer.GetIndexByTokenCount(text, ids.Count, out _, out _));
        Assert.Equal(0, tokenizer.GetIndexByTokenCountFromEnd(text, ids.Count, out _, out _));
    }

    [SkippableFact]
    public void BosAndEos_AreAddedOnlyWhenAsked()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var plain = tokenizer.EncodeToIds("hello");
        var both = tokenizer.EncodeToIds("hello", addBeginningOfSentence: true, addEndOfSentence: true);
        Assert.Equal([SpecialTokens.BosId, .. plain, SpecialTokens.EosId], both);
        Assert.Equal(plain.Count + 2, tokenizer.CountTokens("hello", addBeginningOfSentence: true, addEndOfSentence: true));
        Assert.Equal("hello", tokenizer.Decode(both));
        Assert.Equal("<bos>hello<eos>", tokenizer.Decode(both, skipSpecialTokens: false));
        var tokens = tokenizer.EncodeToPieceTokens("hello", addBeginningOfSentence: true, addEndOfSentence: true);
        Assert.Equal(SpecialTokens.BosId, tokens[0].Id);
        Assert.Equal(SpecialTokens.EosId, tokens[^1].Id);
        Assert.Equal(5..5, tokens[^1].Offset);
    }

    [SkippableFact]
    public void SpecialTokenText_InInput_IsOrdinaryText()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var ids = tokenizer.EncodeToIds("<bos>x<eos>");
        Assert.DoesNotContain(SpecialTokens.BosId, ids);
        Assert.DoesNotContain(SpecialTokens.EosId, ids);
        Assert.Equal("<bos>x<eos>", tokenizer.Decode(ids));
    }

    [SkippableFact]
    public void EmptyInput_GivesNoTokens()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        Assert.Empty(tokenizer.EncodeToIds(""));
        Assert.Empty(tokenizer.EncodeBytes([]));
        Assert.Empty(tokenizer.EncodeToPieceTokens(""));
        Assert.Equal(0, tokenizer.CountTokens(""));
        Assert.Equal("", tokenizer.Decode(Array.Empty<int>()));
        Assert.Equal(0, tokenizer.GetIndexByTokenCount("", 5, out _, out int n));
        Assert.Equal(0, n);
    }

    [SkippableFact]
    public void NormalizationNone_KeepsNfdBytes()
    {
        var nfc = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        var none = UnigramModel.FromCounts(nfc.Pieces, TextNormalization.None);
        string nfd = "Cafe\u0301";
        Assert.Equal(nfd, new BytePieceTokenizer(none).Decode(new BytePieceTokenizer(none).EncodeToIds(nfd)));
        Assert.Equal("Café", new BytePieceTokenizer(nfc).Decode(new BytePieceTokenizer(nfc).EncodeToIds(nfd)));
    }
}
