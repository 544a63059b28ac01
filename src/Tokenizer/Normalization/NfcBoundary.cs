using System.Buffers;
using System.Globalization;
using System.Text;
using BytePiece.Text;

namespace BytePiece.Normalization;

/// <summary>Where UTF-8 text can be cut so that normalizing the parts equals normalizing the whole (NFC).</summary>
internal static class NfcBoundary
{
    /// <summary>How far back a search for a cut looks; a longer run without a stable starter waits for more input.</summary>
    public const int LookBack = 1 << 12;

    /// <summary>
    /// The last position p (p &gt; 0, or p = 0 when <paramref name="allowZero"/>) in the last
    /// <see cref="LookBack"/> bytes of <paramref name="text"/> before which it can be cut; -1 if none.
    /// </summary>
    public static int LastSafeSplit(ReadOnlySpan<byte> text, bool allowZero)
        => LastSafeSplit(text, Math.Max(allowZero ? 0 : 1, text.Length - LookBack));

    /// <summary>The last position p &gt;= <paramref name="stop"/> before which <paramref name="text"/> can be cut; -1 if none.</summary>
    public static int LastSafeSplit(ReadOnlySpan<byte> text, int stop)
    {
        for (int i = text.Length - 1; i >= stop; i--)
        {
            if ((text[i] & 0xC0) == 0x80) continue; // a continuation byte
            if (StartsStably(text[i..])) return i;
        }
        return -1;
    }

    // One bit per BMP code point: set when the character starts stably (below). Text made only of such
    // characters is NFC: each is NFC alone, none has a combining class to reorder, and none composes
    // with what precedes it. Filled 64 code points at a time as text meets them (asking ICU about the
    // whole BMP up front costs 60 ms and 7 MB of its data); racing threads compute the same bits.
    private static readonly ulong[] s_stable = new ulong[65536 / 64];
    private static readonly bool[] s_known = new bool[65536 / 64];

    private static bool IsStableBmp(int cp)
    {
        int word = cp >> 6;
        if (!Volatile.Read(ref s_known[word]))
        {
            ulong bits = 0;
            Span<byte> utf8 = stackalloc byte[4];
            for (int k = 0; k < 64; k++)
            {
                int c = (word << 6) + k;
                if (c is >= 0xD800 and <= 0xDFFF) continue;
                if (c < 0x300) bits |= 1UL << k; // below the first combining mark every character is stable
                else if (StartsStably(utf8[..new Rune(c).EncodeToUtf8(utf8)])) bits |= 1UL << k;
            }
            s_stable[word] = bits;
            Volatile.Write(ref s_known[word], true);
        }
        return (s_stable[word] & (1UL << cp)) != 0;
    }

    /// <summary>
    /// A quick sufficient test that valid UTF-8 is already NFC, without decoding it to a string: every
    /// character is a stable BMP starter (ASCII, most letters, CJK, kana, punctuation). False means
    /// "not known", not "not NFC".
    /// </summary>
    public static bool IsQuickNfc(ReadOnlySpan<byte> utf8) => QuickNfcLength(utf8) == utf8.Length;

    /// <summary>
    /// The length of the longest prefix of valid UTF-8 that <see cref="IsQuickNfc"/> accepts: where the first
    /// character it is not sure of starts, or the whole length.
    /// </summary>
    public static int QuickNfcLength(ReadOnlySpan<byte> utf8)
    {
        int i = utf8.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        if (i < 0) return utf8.Length;
        while (i < utf8.Length)
        {
            byte b = utf8[i];
            if (b < 0x80)
            {
                // Back in ASCII: skip the run at vector speed.
                int next = utf8[i..].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
                if (next < 0) return utf8.Length;
                i += next;
                continue;
            }
            // Four-byte characters (and anything malformed) take the slow path.
            if (!Utf8Text.TryDecodeAt(utf8, i, out int cp, out int length) || cp >= 0x10000 || !IsStableBmp(cp)) return i;
            i += length;
        }
        return utf8.Length;
    }

    /// <summary>
    /// Whether the character at the start of <paramref name="text"/> is a normalization boundary: it has
    /// no combining class and no NFC form that could merge it into the preceding character (not a mark,
    /// not a Hangul medial vowel or final consonant, already NFC on its own). ASCII always is.
    /// </summary>
    public static bool StartsStably(ReadOnlySpan<byte> text)
    {
        if (text[0] < 0x80) return true;
        if (Rune.DecodeFromUtf8(text, out Rune rune, out _) != OperationStatus.Done) return false;
        if (rune.Value is >= 0x1160 and <= 0x11FF or >= 0xD7B0 and <= 0xD7FF) return false; // Hangul jamo V and T
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) return false;
        Span<char> utf16 = stackalloc char[2];
        int length = rune.EncodeToUtf16(utf16);
        try
        {
            return ((ReadOnlySpan<char>)utf16[..length]).IsNormalized(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return false; // noncharacters (U+FFFE...) are refused by .NET's normalizer: not a known boundary
        }
    }
}
