using System.Text;

namespace BytePiece.Normalization;

/// <summary>
/// Text being normalized, one code point at a time, each with the UTF-16 range of the original text
/// it came from (HuggingFace's <c>NormalizedString</c> alignments, per code point). Steps replace
/// spans; the new code points inherit the replaced span's range.
/// </summary>
internal sealed class AlignedText
{
    public readonly List<Rune> Runes;
    public readonly List<(int Start, int End)> Origins;

    public AlignedText(List<Rune> runes, List<(int, int)> origins)
    {
        Runes = runes;
        Origins = origins;
    }

    /// <summary>The code points of <paramref name="text"/>[start..end), aligned to their own positions (lone surrogates become U+FFFD).</summary>
    public static AlignedText FromString(string text, int start, int end)
    {
        var runes = new List<Rune>(end - start);
        var origins = new List<(int, int)>(end - start);
        for (int i = start; i < end;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i, end - i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done) rune = Rune.ReplacementChar;
            runes.Add(rune);
            origins.Add((i, i + used));
            i += used;
        }
        return new AlignedText(runes, origins);
    }

    public int Count => Runes.Count;

    public override string ToString()
    {
        int length = 0;
        foreach (Rune r in Runes) length += r.Utf16SequenceLength;
        return string.Create(length, Runes, static (chars, runes) =>
        {
            foreach (Rune r in runes) chars = chars[r.EncodeToUtf16(chars)..];
        });
    }

    /// <summary>The UTF-8 of code points [start, end) into <paramref name="destination"/>; false (nothing written) when it does not fit.</summary>
    public bool TryEncodeUtf8(int start, int end, Span<byte> destination, out int written)
    {
        written = 0;
        for (int k = start; k < end; k++)
        {
            if (!Runes[k].TryEncodeToUtf8(destination[written..], out int n))
            {
                written = 0;
                return false;
            }
            written += n;
        }
        return true;
    }

    /// <summary>The UTF-8 of the whole text.</summary>
    public byte[] ToUtf8()
    {
        int length = 0;
        foreach (Rune r in Runes) length += r.Utf8SequenceLength;
        var bytes = new byte[length];
        TryEncodeUtf8(0, Count, bytes, out _);
        return bytes;
    }

    /// <summary>Appends code points [start, end) and their origins to the lists of a text being built.</summary>
    public void CopyTo(int start, int end, List<Rune> runes, List<(int, int)> origins)
    {
        for (int k = start; k < end; k++)
        {
            runes.Add(Runes[k]);
            origins.Add(Origins[k]);
        }
    }

    /// <summary>The sub-range [start, end) of code points as a new text.</summary>
    public AlignedText Slice(int start, int end) => new(Runes.GetRange(start, end - start), Origins.GetRange(start, end - start));

    /// <summary>For each UTF-16 index of <see cref="ToString"/> (and its end), the index of the code point there.</summary>
    public int[] RuneIndexOfChar()
    {
        int length = 0;
        foreach (Rune r in Runes) length += r.Utf16SequenceLength;
        var map = new int[length + 1];
        int at = 0;
        for (int k = 0; k < Count; k++)
            for (int u = 0; u < Runes[k].Utf16SequenceLength; u++) map[at++] = k;
        map[at] = Count;
        return map;
    }

    /// <summary>The original range of a span of code points: from its first one's start to its last one's end, as HF converts offsets.</summary>
    public (int Start, int End) OriginOf(int start, int end)
    {
        if (Count == 0) return (0, 0);
        if (start >= end)
        {
            int at = start < Count ? Origins[start].Start : Origins[Count - 1].End;
            return (at, at);
        }
        return (Origins[start].Start, Origins[end - 1].End);
    }

    /// <summary>
    /// HuggingFace's <c>NormalizedString::transform_range</c> over code points [start, end): each new code
    /// point comes with a change: 0 replaces the next old one (taking its origin), -n replaces it and
    /// removes n more, a positive change inserts (taking the origin of the code point before). The first
    /// <paramref name="initialOffset"/> old code points are removed first. Old code points left over are dropped.
    /// </summary>
    public AlignedText Transform(int start, int end, IEnumerable<(Rune Rune, int Change)> dest, int initialOffset)
    {
        var runes = new List<Rune>(Count);
        var origins = new List<(int, int)>(Count);
        CopyTo(0, start, runes, origins);
        int offset = start + initialOffset;
        foreach (var (rune, change) in dest)
        {
            (int, int) origin;
            if (change > 0) origin = offset < 1 ? (0, 0) : Origins[Math.Min(offset, Count) - 1];
            else
            {
                origin = offset < Count ? Origins[offset] : (offset > 0 ? Origins[Count - 1] : (0, 0));
                offset += 1 - change;
            }
            runes.Add(rune);
            origins.Add(origin);
        }
        CopyTo(end, Count, runes, origins);
        return new AlignedText(runes, origins);
    }

    /// <summary>Builds a new text from consecutive spans: each (start, end, replacement) keeps its code points (replacement null) or replaces them.</summary>
    public AlignedText Rewrite(IEnumerable<(int Start, int End, string? Replacement)> spans)
    {
        var runes = new List<Rune>(Count);
        var origins = new List<(int, int)>(Count);
        foreach (var (start, end, replacement) in spans)
        {
            if (replacement is null)
            {
                CopyTo(start, end, runes, origins);
                continue;
            }
            var origin = OriginOf(start, end);
            foreach (Rune r in replacement.EnumerateRunes())
            {
                runes.Add(r);
                origins.Add(origin);
            }
        }
        return new AlignedText(runes, origins);
    }
}
