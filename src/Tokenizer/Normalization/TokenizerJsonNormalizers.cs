using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace BytePiece.Normalization;

/// <summary>One step of a tokenizer.json <c>normalizer</c>, applied to the whole text with alignments kept.</summary>
internal abstract class TextNormalizerStep
{
    public abstract AlignedText Apply(AlignedText text);

    /// <summary>The spans of the grapheme clusters of <paramref name="text"/>, in code point indices.</summary>
    protected static List<(int Start, int End)> Graphemes(AlignedText text)
    {
        string s = text.ToString();
        int[] runeOf = text.RuneIndexOfChar();
        var result = new List<(int, int)>(text.Count);
        for (int i = 0; i < s.Length;)
        {
            // An ASCII character followed by another (CR LF excepted) is a cluster of its own: no lookup.
            int length = s[i] < 0x80 && (i + 1 == s.Length || (s[i + 1] < 0x80 && !(s[i] == '\r' && s[i + 1] == '\n')))
                ? 1
                : StringInfo.GetNextTextElementLength(s, i);
            result.Add((runeOf[i], runeOf[i + length]));
            i += length;
        }
        return result;
    }
}

/// <summary>
/// <c>Precompiled</c> as HuggingFace applies it (tokenizers' precompiled.rs), not as spm does: per
/// grapheme cluster of fewer than 6 UTF-8 bytes, the shortest charsmap key that prefixes the cluster
/// replaces the whole cluster; otherwise each code point is looked up alone.
/// </summary>
internal sealed class PrecompiledStep(PrecompiledCharsMap map) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        List<(Rune, int)>? changes = null; // made at the first replacement: most text has none
        Span<byte> one = stackalloc byte[4];
        // HF's replace(): the new code points replace the old ones; when there are more, the last extra
        // ones are insertions; when fewer, the last change so far (maybe an earlier code point's) removes the rest.
        void Add(ReadOnlySpan<byte> replacement, int at, int oldCount)
        {
            if (changes is null)
            {
                changes = new List<(Rune, int)>(text.Count);
                for (int k = 0; k < at; k++) changes.Add((text.Runes[k], 0));
            }
            int added = 0;
            foreach (Rune r in Encoding.UTF8.GetString(replacement).EnumerateRunes())
            {
                changes.Add((r, 0));
                added++;
            }
            int diff = added - oldCount;
            if (diff > 0) for (int k = changes.Count - diff; k < changes.Count; k++) changes[k] = (changes[k].Item1, 1);
            else if (diff < 0 && changes.Count > 0) changes[^1] = (changes[^1].Item1, changes[^1].Item2 + diff);
        }
        Span<byte> cluster = stackalloc byte[5];
        foreach (var (start, end) in Graphemes(text))
        {
            if (text.TryEncodeUtf8(start, end, cluster, out int clusterLength) && map.ShortestMatch(cluster[..clusterLength], out ReadOnlySpan<byte> whole))
            {
                Add(whole, start, end - start);
                continue;
            }
            for (int k = start; k < end; k++)
            {
                int length = text.Runes[k].EncodeToUtf8(one);
                if (map.ShortestMatch(one[..length], out ReadOnlySpan<byte> replacement)) Add(replacement, k, 1);
                else changes?.Add((text.Runes[k], 0));
            }
        }
        return changes is not null ? text.Transform(0, text.Count, changes, 0) : text;
    }
}

/// <summary><c>Replace</c>: every non-overlapping match of a string or regex pattern becomes the content.</summary>
internal sealed class ReplaceStep(Regex pattern, string content) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        // One pass that copies the text between matches: each replacement's code points take the origin of
        // the match's last code point (HF's transform_range with every new code point an insertion after
        // the removed match), which is what replacing the matches one by one from the last would give.
        string s = text.ToString();
        int[]? runeOf = null;
        List<Rune>? runes = null;
        List<(int, int)>? origins = null;
        int copied = 0;
        foreach (ValueMatch m in pattern.EnumerateMatches(s))
        {
            if (m.Length == 0) continue;
            runeOf ??= text.RuneIndexOfChar();
            runes ??= new List<Rune>(text.Count);
            origins ??= new List<(int, int)>(text.Count);
            int start = runeOf[m.Index], end = runeOf[m.Index + m.Length];
            text.CopyTo(copied, start, runes, origins);
            (int, int) origin = text.Origins[end - 1];
            foreach (Rune r in content.EnumerateRunes())
            {
                runes.Add(r);
                origins.Add(origin);
            }
            copied = end;
        }
        if (runes is null || origins is null) return text;
        text.CopyTo(copied, text.Count, runes, origins);
        return new AlignedText(runes, origins);
    }
}

/// <summary><c>Strip</c>: leading and/or trailing whitespace removed.</summary>
internal sealed class StripStep(bool left, bool right) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        int start = 0, end = text.Count;
        if (left) while (start < end && Rune.IsWhiteSpace(text.Runes[start])) start++;
        if (right) while (end > start && Rune.IsWhiteSpace(text.Runes[end - 1])) end--;
        if (start == 0 && end == text.Count) return text;
        var changes = new List<(Rune, int)>();
        for (int k = start; k < end; k++) changes.Add((text.Runes[k], k == end - 1 ? -(text.Count - end) : 0));
        return text.Transform(0, text.Count, changes, start);
    }
}

/// <summary>NFC/NFD/NFKC/NFKD, applied per grapheme cluster so that every output code point keeps its cluster's origin.</summary>
internal sealed class UnicodeFormStep(NormalizationForm form) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        var spans = new List<(int, int, string?)>();
        foreach (var (start, end) in Graphemes(text))
        {
            string cluster = text.Slice(start, end).ToString();
            string normalized = UnicodeForms.Normalize(cluster, form);
            spans.Add((start, end, normalized == cluster ? null : normalized));
        }
        return text.Rewrite(spans);
    }
}

/// <summary><c>Lowercase</c>, code point by code point.</summary>
internal sealed class LowercaseStep : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        var changes = new List<(Rune, int)>(text.Count);
        foreach (Rune r in text.Runes)
        {
            int index = 0;
            foreach (Rune lower in r.ToString().ToLowerInvariant().EnumerateRunes()) changes.Add((lower, index++ > 0 ? 1 : 0));
        }
        return text.Transform(0, text.Count, changes, 0);
    }
}

/// <summary><c>Prepend</c>: a string before non-empty text (aligned to its first code point).</summary>
internal sealed class PrependStep(string prefix) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
        => text.Count == 0 ? text : text.Rewrite([(0, 0, null), (0, 1, prefix + text.Runes[0].ToString()), (1, text.Count, null)]);
}

/// <summary><c>Sequence</c>: the steps in order.</summary>
internal sealed class SequenceStep(IReadOnlyList<TextNormalizerStep> steps) : TextNormalizerStep
{
    public override AlignedText Apply(AlignedText text)
    {
        foreach (TextNormalizerStep step in steps) text = step.Apply(text);
        return text;
    }
}
