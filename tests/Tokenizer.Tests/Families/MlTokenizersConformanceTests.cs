using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.ML.Tokenizers;
using Xunit;
using Xunit.Abstractions;
using static BytePiece.Tests.MlTokenizersConformanceData;

namespace BytePiece.Tests;

/// <summary>
/// Conformance of our three families to Microsoft.ML.Tokenizers' <see cref="Tokenizer"/>: each subject (the embedded
/// default, a real BytePiece model, Google's .model files and an spm_train one with byte fallback, tokenizer.json
/// made from .model files) is used only through ML's public base surface and checked against the family's own
/// answers, on real text: the repository's (so a fresh clone runs every check) and the shared corpora's.
/// </summary>
public class MlTokenizersConformanceTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in Kinds)
            foreach (string source in new[] { RepositoryText, CorporaText })
                data.Add(kind, source);
        return data;
    }

    private static bool IsBytePiece(ConformanceSubject s) => s.Tokenizer is BytePieceTokenizer;

    // ---- ids, tokens, offsets, counts ------------------------------------------------------------

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void IdsTokensAndCounts_EqualTheFamilysOwn_WithOffsetsIntoTheOriginalString(string kind, string source)
    {
        ConformanceSubject s = Subject(kind);
        Tokenizer tokenizer = s.Tokenizer;
        int slices = 0;
        foreach (string text in Lines(source))
        {
            int[] expected = s.NativeIds(text);
            Assert.Equal(expected, tokenizer.EncodeToIds(text));
            Assert.Equal(expected, tokenizer.EncodeToIds(text.AsSpan()));
            Assert.Equal(expected.Length, tokenizer.CountTokens(text));
            Assert.Equal(expected.Length, tokenizer.CountTokens(text.AsSpan()));

            var native = s.NativeTokens(text).Select(p => (p.Id, p.Value, p.Offset)).ToList();
            IReadOnlyList<EncodedToken> tokens = tokenizer.EncodeToTokens(text, out string? normalized);
            Assert.Null(normalized);
            Assert.Equal(native, tokens.Select(t => (t.Id, t.Value, t.Offset)));
            IReadOnlyList<EncodedToken> spanTokens = tokenizer.EncodeToTokens(text.AsSpan(), out normalized);
            Assert.Null(normalized);
            Assert.Equal(native, spanTokens.Select(t => (t.Id, t.Value, t.Offset)));

            // Offsets are ranges of the original string, in order.
            int previousStart = 0;
            foreach (EncodedToken token in tokens)
            {
                Assert.InRange(token.Offset.Start.Value, previousStart, token.Offset.End.Value);
                Assert.InRange(token.Offset.End.Value, 0, text.Length);
                previousStart = token.Offset.Start.Value;
            }
            slices += OffsetsSpellTheOriginal(s, text, tokens);
        }
        // The spelling check must have had something to check (SentencePiece: plain ASCII lines only).
        Assert.True(slices >= (source == CorporaText || !kind.Contains("ja") ? 200 : 50), $"only {slices} token slices checked");
    }

    /// <summary>
    /// That each token's range selects, in the ORIGINAL string, the text the token stands for (offsets into a
    /// normalized string would be shifted by SentencePiece's dummy prefix, and differ wherever NFC rewrote);
    /// returns how many tokens were checked. BytePiece: the ranges cover the string exactly once, and on NFC text
    /// each token's range is its piece. SentencePiece and tokenizer.json: on plain ASCII lines (single spaces, no
    /// leading or trailing space: the normalizers leave them alone) a token's range is its piece with U+2581 for
    /// spaces, the dummy prefix's U+2581 standing for nothing.
    /// </summary>
    private static int OffsetsSpellTheOriginal(ConformanceSubject s, string text, IReadOnlyList<EncodedToken> tokens)
    {
        int checkedTokens = 0;
        if (IsBytePiece(s))
        {
            Assert.Equal(text, string.Concat(tokens.Select(t => text[t.Offset])));
            if (!text.IsNormalized(NormalizationForm.FormC)) return 0;
            foreach (EncodedToken token in tokens)
            {
                if (token.Value.Contains("<0x", StringComparison.Ordinal) || token.Offset.End.Value == token.Offset.Start.Value) continue;
                Assert.Equal(token.Value, text[token.Offset]);
                checkedTokens++;
            }
            return checkedTokens;
        }
        bool plain = text.Length > 0 && text[0] != ' ' && text[^1] != ' ' && !text.Contains("  ", StringComparison.Ordinal)
            && text.All(c => c is >= ' ' and <= '~');
        if (!plain) return 0;
        for (int k = 0; k < tokens.Count; k++)
        {
            string slice = text[tokens[k].Offset].Replace(' ', '\u2581');
            // The dummy prefix: SentencePiece gives it an empty range at 0; HuggingFace (its Metaspace prepend)
            // the range of the first character, which the next token covers too.
            bool dummyPrefix = k == 0 && (tokens[k].Value == "\u2581" + slice
                || s.Tokenizer is HuggingFaceTokenizer && tokens[k].Value == "\u2581" && tokens[k].Offset.Equals(0..1));
            Assert.True(tokens[k].Value == slice || dummyPrefix,
                $"{s.Name}: token {k} '{tokens[k].Value}' has range {tokens[k].Offset} = '{text[tokens[k].Offset]}' in \"{text}\"");
            checkedTokens++;
        }
        return checkedTokens;
    }

    // ---- maxTokenCount ------------------------------------------------------------------------

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MaxTokenCount_ReturnsAPrefixOfTheIds_EndingWhereGetIndexByTokenCountCuts(string kind, string source)
    {
        ConformanceSubject s = Subject(kind);
        Tokenizer tokenizer = s.Tokenizer;
        int shortened = 0;
        foreach (string text in Lines(source))
        {
            IReadOnlyList<int> ids = tokenizer.EncodeToIds(text);
            int n = ids.Count;
            foreach (int budget in new[] { 0, 1, 2, 3, n / 3, n / 2, n - 1, n, n + 1 }.Where(b => b >= 0).Distinct())
            {
                IReadOnlyList<int> prefix = tokenizer.EncodeToIds(text, budget, out string? normalized, out int charsConsumed);
                Assert.Null(normalized);
                IReadOnlyList<int> spanPrefix = tokenizer.EncodeToIds(text.AsSpan(), budget, out normalized, out int spanCharsConsumed);
                Assert.Null(normalized);
                Assert.Equal(prefix, spanPrefix);
                Assert.Equal(charsConsumed, spanCharsConsumed);
                Assert.True(prefix.Count <= budget, $"{prefix.Count} ids for a budget of {budget}");
                Assert.Equal(ids.Take(prefix.Count), prefix);

                int index = tokenizer.GetIndexByTokenCount(text, budget, out normalized, out int count);
                Assert.Null(normalized);
                Assert.Equal((charsConsumed, prefix.Count), (index, count));
                Assert.Equal((index, count), (tokenizer.GetIndexByTokenCount(text.AsSpan(), budget, out normalized, out int spanCount), spanCount));
                if (budget >= n) Assert.Equal((text.Length, n), (charsConsumed, prefix.Count));
                else shortened++;
            }
        }
        Assert.True(shortened > 100, $"only {shortened} budgets below the token count");
    }

    // ---- index by token count (FsCheck) ---------------------------------------------------------

    /// <summary>
    /// The cuts of <c>GetIndexByTokenCount</c> and <c>GetIndexByTokenCountFromEnd</c> on random real lines and random
    /// budgets (FsCheck, fixed seed): whole tokens on each side, maximal, and re-encoding. BytePiece: the part before
    /// a cut re-encodes to exactly its tokens (its sums are the whole text's); the part after may come out as the same
    /// pieces in another order (seen: <c>"" + "</c> against <c>" + ""</c>, ~0.3% of the sides), because its sums start
    /// from 0 instead of the score at the cut and so round otherwise at the last bit; upstream BytePiece re-encoding
    /// that part does the same (docs/last-bit-ties.md).
    /// SentencePiece and tokenizer.json: the part before a cut (either cut) re-encodes to its tokens, except that
    /// when it ends in whitespace the normalizer strips it, so its trailing U+2581-only tokens go (~5% of the cuts);
    /// the part after a cut is not compared (it gets a dummy prefix of its own). The rates go to the test output.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void IndexByTokenCount_CutsBetweenWholeTokensMaximally_AndTheSidesReEncodeToTheirTokens(string kind, string source)
    {
        ConformanceSubject s = Subject(kind);
        Tokenizer tokenizer = s.Tokenizer;
        List<string> lines = Lines(source);
        var checks = new SortedDictionary<string, int>();
        var exceptions = new SortedDictionary<string, int>();
        var examples = new List<string>();
        // A random real line and a random budget (0 to one more than its token count), fixed seed.
        Gen<(int Line, int Permille)> cases = from line in Gen.Choose(0, lines.Count - 1) from permille in Gen.Choose(0, 1000) select (line, permille);
        TestVocab.Check(cases, c =>
        {
            string text = lines[c.Line];
            IReadOnlyList<EncodedToken> tokens = tokenizer.EncodeToTokens(text, out _);
            int[] ids = [.. tokens.Select(t => t.Id)];
            int n = ids.Length, budget = c.Permille * (n + 2) / 1001;
            bool[]? clean = CleanCuts(s, text, tokens);

            int index = tokenizer.GetIndexByTokenCount(text, budget, out string? normalized, out int count);
            Assert.Null(normalized);
            AssertCut(tokens, clean, index, count, budget, fromEnd: false, text);
            int start = tokenizer.GetIndexByTokenCountFromEnd(text, budget, out normalized, out int countFromEnd);
            Assert.Null(normalized);
            AssertCut(tokens, clean, start, countFromEnd, budget, fromEnd: true, text);
            Assert.Equal((start, countFromEnd), (tokenizer.GetIndexByTokenCountFromEnd(text.AsSpan(), budget, out _, out int spanCount), spanCount));

            // A side of a cut (tokens [from, to)) re-encoded on its own.
            void ReEncode(string side, int from, int to, string part, bool beforeCut)
            {
                int[] expected = ids[from..to];
                IReadOnlyList<int> again = tokenizer.EncodeToIds(part);
                checks[side] = checks.GetValueOrDefault(side) + 1;
                if (expected.SequenceEqual(again)) return;
                string why;
                if (IsBytePiece(s))
                {
                    Assert.True(!beforeCut && expected.Order().SequenceEqual(again.Order()), $"{side} \"{part}\" of \"{text}\" re-encodes to [{string.Join(",", again)}], not [{string.Join(",", expected)}]");
                    why = "tie";
                }
                else if (!beforeCut) return;
                else
                {
                    int kept = to;
                    while (kept > from && tokens[kept - 1].Value.All(ch => ch == '\u2581')) kept--;
                    Assert.True(part.Length > 0 && char.IsWhiteSpace(part[^1]) && ids[from..kept].SequenceEqual(again),
                        $"{side} \"{part}\" of \"{text}\" re-encodes to [{string.Join(",", again)}], not [{string.Join(",", expected)}]");
                    why = "trailing whitespace";
                }
                exceptions[$"{side}: {why}"] = exceptions.GetValueOrDefault($"{side}: {why}") + 1;
                if (examples.Count < 5) examples.Add($"  {side} ({why}): \"{text[..(side.StartsWith("prefix", StringComparison.Ordinal) ? index : start)]}\" | \"{text[(side.StartsWith("prefix", StringComparison.Ordinal) ? index : start)..]}\": [{string.Join(",", expected)}] -> [{string.Join(",", again)}]");
            }
            if (count < n)
            {
                ReEncode("prefix", 0, count, text[..index], beforeCut: true);
                ReEncode("prefix, rest", count, n, text[index..], beforeCut: false);
            }
            if (countFromEnd < n)
            {
                ReEncode("suffix", n - countFromEnd, n, text[start..], beforeCut: false);
                ReEncode("suffix, rest", 0, n - countFromEnd, text[..start], beforeCut: true);
            }
            return true;
        }, maxTest: 400);
        output.WriteLine($"{kind}/{source}: sides re-encoded {string.Join(", ", checks.Select(p => $"{p.Key} {p.Value}"))}; "
            + $"exceptions: {(exceptions.Count == 0 ? "none" : string.Join(", ", exceptions.Select(p => $"{p.Key} {p.Value}")))}");
        foreach (string example in examples) output.WriteLine(example);
        Assert.True(checks.Values.Sum() > 400, "too few cuts inside the lines");
    }

    /// <summary>
    /// Where the text can be cut after each token (index k: after token k), from what the family's tokens say,
    /// or null when that cannot be told (BytePiece on text NFC rewrites). BytePiece: where the token's bytes
    /// end at a character boundary of the NFC text. SentencePiece and tokenizer.json: where the token has a range
    /// of its own and no later token begins before it ends (a token with an empty range, such as the dummy
    /// prefix or the leading byte pieces of a character, spells nothing by itself: its text comes with the next).
    /// </summary>
    private static bool[]? CleanCuts(ConformanceSubject s, string text, IReadOnlyList<EncodedToken> tokens)
    {
        var clean = new bool[tokens.Count];
        if (IsBytePiece(s))
        {
            if (!text.IsNormalized(NormalizationForm.FormC)) return null;
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            IReadOnlyList<PieceToken> native = s.NativeTokens(text);
            for (int k = 0; k < clean.Length; k++)
            {
                int end = native[k].ByteOffset.End.Value;
                clean[k] = end == utf8.Length || (utf8[end] & 0xC0) != 0x80;
            }
            return clean;
        }
        int minStartAfter = int.MaxValue;
        for (int k = clean.Length - 1; k >= 0; k--)
        {
            Range own = tokens[k].Offset;
            clean[k] = own.End.Value > own.Start.Value && own.End.Value <= minStartAfter;
            minStartAfter = Math.Min(minStartAfter, own.Start.Value);
        }
        return clean;
    }

    /// <summary>
    /// A budget's cut: <paramref name="count"/> tokens on the budget's side (the first ones, or the last ones when
    /// <paramref name="fromEnd"/>); at most the budget; every token
    /// on its side of <paramref name="index"/>; the whole text when the budget covers it; and maximal: no clean cut
    /// takes more tokens within the budget.
    /// </summary>
    private static void AssertCut(IReadOnlyList<EncodedToken> tokens, bool[]? clean, int index, int count, int budget, bool fromEnd, string text)
    {
        int n = tokens.Count;
        Assert.InRange(count, 0, Math.Min(budget, n));
        if (budget >= n)
        {
            Assert.Equal((n, fromEnd ? 0 : text.Length), (count, index));
            return;
        }
        int before = fromEnd ? n - count : count;
        for (int k = 0; k < n; k++)
        {
            if (k < before) Assert.True(tokens[k].Offset.End.Value <= index, $"token {k} ends after the cut at {index} in \"{text}\"");
            else Assert.True(tokens[k].Offset.Start.Value >= index, $"token {k} starts before the cut at {index} in \"{text}\"");
        }
        if (clean is null) return;
        // Maximal: taking j more tokens (count + j <= budget) never ends at a clean cut.
        for (int more = count + 1; more <= budget && more < n; more++)
        {
            int after = fromEnd ? n - more - 1 : more - 1;
            Assert.False(clean[after], $"a cut with {more} tokens (after token {after}) is clean, but {count} were taken for a budget of {budget} in \"{text}\"");
        }
    }

    // ---- span decode --------------------------------------------------------------------------

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void SpanDecode_UnderEveryDestinationSize_WritesAWholeCharacterPrefix_AndIsDoneOnlyWhenAllFits(string kind, string source)
    {
        ConformanceSubject s = Subject(kind);
        Tokenizer tokenizer = s.Tokenizer;
        int sizes = 0;
        foreach (string text in DecodeLines(source))
        {
            IReadOnlyList<int> ids = tokenizer.EncodeToIds(text);
            string whole = tokenizer.Decode(ids);
            Assert.Equal(s.NativeDecode(ids), whole);
            if (IsBytePiece(s)) Assert.Equal(text.Normalize(NormalizationForm.FormC), whole);
            int previousConsumed = 0;
            for (int size = 0; size <= whole.Length + 1; size++)
            {
                char[] destination = new char[size];
                OperationStatus status = tokenizer.Decode(ids, destination, out int idsConsumed, out int charsWritten);
                if (size >= whole.Length)
                {
                    Assert.Equal(OperationStatus.Done, status);
                    Assert.Equal((ids.Count, whole.Length), (idsConsumed, charsWritten));
                    Assert.Equal(whole, new string(destination, 0, charsWritten));
                    continue;
                }
                Assert.Equal(OperationStatus.DestinationTooSmall, status);
                Assert.InRange(idsConsumed, previousConsumed, ids.Count - 1);
                Assert.InRange(charsWritten, 0, size);
                string written = new(destination, 0, charsWritten);
                Assert.Equal(tokenizer.Decode(ids.Take(idsConsumed)), written);
                Assert.StartsWith(written, whole, StringComparison.Ordinal);
                Assert.False(charsWritten > 0 && char.IsHighSurrogate(written[^1]), $"a surrogate pair split at {charsWritten} of \"{whole}\"");
                previousConsumed = idsConsumed;
                sizes++;
            }
        }
        Assert.True(sizes > 400, $"only {sizes} destination sizes tried");
    }

    /// <summary>A few dozen lines for the span decode: short real lines of each script, and those with surrogate pairs, CJK and characters spelled by byte pieces.</summary>
    private static IEnumerable<string> DecodeLines(string source)
    {
        List<string> lines = Lines(source);
        IEnumerable<string> shortLines = lines.Where(l => l.Length is > 0 and <= 300);
        var picked = shortLines.Where((_, i) => i % 5 == 0).Take(40).ToList();
        picked.AddRange(shortLines.Where(l => l.Any(char.IsSurrogate)).Take(6));
        picked.AddRange(shortLines.Where(l => l.Any(c => c is >= '\u3040' and <= '\u9FFF')).Take(6));
        picked.AddRange(["emoji \U0001F600\U0001F389 and \U00010300\U00010300b", "\u5E7F\u5DDE\u7684\u767D\u4E91\u673A\u573A \U0001D11E \u2047 \u9F98\u9F49\u7069",
            "Cafe\u0301 na\u00EFve \u00C5ngstr\u00F6m \uFF21\uFF22\uFF23"]);
        return picked.Distinct();
    }

    // ---- the flags ------------------------------------------------------------------------------

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void NormalizationAndPreTokenizationFlags_BehaveAsDocumentedForTheFamily(string kind, string source)
    {
        ConformanceSubject s = Subject(kind);
        Tokenizer tokenizer = s.Tokenizer;
        // Real lines, and a few that NFC and the normalizers change (decomposed accents and kana, full-width letters).
        List<string> lines = [.. Lines(source), "Cafe\u0301 na\u0131\u0308ve \u304B\u3099\u304F\u3099", "\uFF21\uFF22\uFF23 \uFF11\uFF12\uFF13", "A\u030A \u212B"];
        int differing = 0;
        switch (tokenizer)
        {
            case BytePieceTokenizer b:
                // considerNormalization false skips NFC: an NFD string gives the ids of its own bytes.
                foreach (string line in lines)
                {
                    string nfd = line.Normalize(NormalizationForm.FormD);
                    int[] raw = b.EncodeBytes(Encoding.UTF8.GetBytes(nfd));
                    Assert.Equal(raw, tokenizer.EncodeToIds(nfd, considerNormalization: false));
                    Assert.Equal(raw, tokenizer.EncodeToIds(nfd.AsSpan(), considerNormalization: false));
                    Assert.Equal(raw.Length, tokenizer.CountTokens(nfd, considerNormalization: false));
                    Assert.Equal(s.NativeIds(nfd), tokenizer.EncodeToIds(nfd));
                    if (!raw.SequenceEqual(s.NativeIds(nfd))) differing++;
                    // considerPreTokenization is ignored (the chunk split at line ends is the model's).
                    Assert.Equal(s.NativeIds(line), tokenizer.EncodeToIds(line, considerPreTokenization: false));
                }
                string joined = string.Join("\n", lines.Take(50));
                Assert.Equal(s.NativeIds(joined), tokenizer.EncodeToIds(joined, considerPreTokenization: false));
                break;
            case SentencePieceTokenizer sp:
                // considerNormalization false takes the text as normalized: spm's own normalization of a line,
                // encoded with the flag off, gives the line's ids; a plain line with U+2581 for its spaces (and the
                // dummy prefix) is already normalized. Without the flag such text is escaped once more.
                foreach (string line in lines)
                {
                    string normalized = sp.Normalize(line);
                    int[] ids = s.NativeIds(line);
                    Assert.Equal(ids, tokenizer.EncodeToIds(normalized, considerNormalization: false));
                    Assert.Equal(ids, tokenizer.EncodeToIds(normalized.AsSpan(), considerNormalization: false));
                    Assert.Equal(ids.Length, tokenizer.CountTokens(normalized, considerNormalization: false));
                    Assert.Equal(ids, tokenizer.EncodeToIds(line, considerPreTokenization: false));
                    bool plain = line.Length > 0 && line[0] != ' ' && line[^1] != ' ' && !line.Contains("  ", StringComparison.Ordinal)
                        && line.All(c => c is > ' ' and <= '~' or ' ');
                    if (plain && sp.Model.AddDummyPrefix)
                        Assert.Equal(ids, tokenizer.EncodeToIds("\u2581" + line.Replace(' ', '\u2581'), considerNormalization: false));
                    if (!tokenizer.EncodeToIds(line, considerNormalization: false).SequenceEqual(ids)) differing++;
                }
                break;
            case HuggingFaceTokenizer:
                // considerNormalization false skips the file's normalizer, considerPreTokenization false its
                // pre-tokenizer (the text is one word): the same file without that step gives the same ids.
                HuggingFaceTokenizer noNormalizer = JsonWithout(kind, "normalizer"), noPreTokenizer = JsonWithout(kind, "pre_tokenizer");
                foreach (string line in lines)
                {
                    IReadOnlyList<int> oneWord = noPreTokenizer.EncodeToIds(line, addSpecialTokens: false);
                    Assert.Equal(oneWord, tokenizer.EncodeToIds(line, considerPreTokenization: false));
                    Assert.Equal(oneWord, tokenizer.EncodeToIds(line.AsSpan(), considerPreTokenization: false));
                    Assert.Equal(oneWord.Count, tokenizer.CountTokens(line, considerPreTokenization: false));
                    IReadOnlyList<int> unnormalized = noNormalizer.EncodeToIds(line, addSpecialTokens: false);
                    Assert.Equal(unnormalized, tokenizer.EncodeToIds(line, considerNormalization: false));
                    Assert.Equal(unnormalized.Count, tokenizer.CountTokens(line.AsSpan(), considerNormalization: false));
                    if (!oneWord.SequenceEqual(s.NativeIds(line))) differing++;
                }
                break;
            default:
                throw new InvalidOperationException(tokenizer.GetType().Name);
        }
        // The flags change something on this text (else the checks above could not fail).
        Assert.True(differing > 0, $"the flag changed no line of {lines.Count}");
        output.WriteLine($"{kind}/{source}: {differing} of {lines.Count} lines change with the flag");
    }
}
