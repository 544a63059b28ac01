using System.Globalization;
using System.Text;

namespace BytePiece.Normalization;

/// <summary>
/// Normalizes text for encoding and, when asked, maps every position of the normalized text back to
/// the original. Lone surrogates become U+FFFD first (as the UTF-8 encoder would write them), so the
/// normalizer never throws on ill-formed strings.
/// </summary>
internal static class TextNormalizer
{
    /// <summary>
    /// The normalized text. <paramref name="map"/> is null when the text came through unchanged;
    /// otherwise <c>map[i]</c> (for i in 0..normalized.Length) is the original position of normalized
    /// position i, stored as <c>-(p + 1)</c> when i falls inside a rewritten span where the text does not
    /// split cleanly; it then snaps forward to the next clean split p (at the latest the span's end).
    /// </summary>
    public static ReadOnlySpan<char> Normalize(ReadOnlySpan<char> text, TextNormalization form, bool wantMap, out int[]? map, out string? owned)
    {
        map = null;
        owned = null;
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 && !IsWellFormed(text))
        {
            owned = ReplaceLoneSurrogates(text);
            text = owned;
        }
        if (form == TextNormalization.None || System.Text.Ascii.IsValid(text) || UnicodeForms.IsNormalized(text, NormalizationForm.FormC))
            return text;

        string whole = UnicodeForms.Normalize(new string(text), NormalizationForm.FormC);
        if (wantMap)
        {
            // Normalize one grapheme cluster at a time (NFC does not compose across them); check the
            // result and fall back to coarser spans (split before code points below U+0300, which
            // never combine with what precedes them) if it ever differs.
            map = BuildMap(text, whole, useClusters: true) ?? BuildMap(text, whole, useClusters: false)
                ?? BuildWholeMap(text.Length, whole.Length);
        }
        owned = whole;
        return whole;
    }

    private static int[]? BuildMap(ReadOnlySpan<char> text, string whole, bool useClusters)
    {
        var map = new int[whole.Length + 1];
        var sb = new StringBuilder(whole.Length);
        int pos = 0;
        while (pos < text.Length)
        {
            int length = useClusters ? StringInfo.GetNextTextElementLength(text[pos..]) : NextCoarseSpan(text[pos..]);
            ReadOnlySpan<char> span = text.Slice(pos, length);
            int outStart = sb.Length;
            if (UnicodeForms.IsNormalized(span, NormalizationForm.FormC))
            {
                sb.Append(span);
                for (int k = 0; k < length; k++) if (outStart + k < map.Length) map[outStart + k] = pos + k;
            }
            else
            {
                string normalized = UnicodeForms.Normalize(new string(span), NormalizationForm.FormC);
                sb.Append(normalized);
                if (outStart + normalized.Length < map.Length) MapRewrittenSpan(span, normalized, pos, map.AsSpan(outStart, normalized.Length));
            }
            pos += length;
            if (sb.Length > whole.Length) return null;
        }
        if (!sb.Equals(whole)) return null;
        map[whole.Length] = text.Length;
        return map;
    }

    /// <summary>
    /// Maps the positions of one rewritten span. Position k of <paramref name="normalized"/> is exact at
    /// original position q when the span splits cleanly there: NFC(span[..q]) is normalized[..k] and
    /// NFC(span[q..]) is normalized[k..]. Other positions snap forward to the next exact one (or the
    /// span's end), keeping the map non-decreasing.
    /// </summary>
    private static void MapRewrittenSpan(ReadOnlySpan<char> span, string normalized, int pos, Span<int> map)
    {
        map[0] = pos;
        int next = pos + span.Length;
        for (int k = normalized.Length - 1; k >= 1; k--)
        {
            int exact = -1;
            if (!char.IsLowSurrogate(normalized[k]))
            {
                for (int q = span.Length - 1; q >= 1; q--)
                {
                    if (char.IsLowSurrogate(span[q]) || pos + q > next) continue;
                    if (new string(span[..q]).Normalize(NormalizationForm.FormC).AsSpan().SequenceEqual(normalized.AsSpan(0, k))
                        && new string(span[q..]).Normalize(NormalizationForm.FormC).AsSpan().SequenceEqual(normalized.AsSpan(k)))
                    {
                        exact = pos + q;
                        break;
                    }
                }
            }
            if (exact >= 0) next = exact;
            map[k] = exact >= 0 ? exact : -(next + 1);
        }
    }

    private static int[] BuildWholeMap(int originalLength, int normalizedLength)
    {
        var map = new int[normalizedLength + 1];
        map.AsSpan(1).Fill(-(originalLength + 1));
        map[normalizedLength] = originalLength;
        return map;
    }

    private static int NextCoarseSpan(ReadOnlySpan<char> text)
    {
        int k = 1;
        while (k < text.Length && text[k] >= '\u0300') k++;
        return k;
    }

    private static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(c)) return false;
        }
        return true;
    }

    private static string ReplaceLoneSurrogates(ReadOnlySpan<char> text)
    {
        char[] copy = text.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            char c = copy[i];
            if (char.IsHighSurrogate(c) && i + 1 < copy.Length && char.IsLowSurrogate(copy[i + 1])) i++;
            else if (char.IsSurrogate(c)) copy[i] = '\uFFFD';
        }
        return new string(copy);
    }
}
