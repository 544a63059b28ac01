using System.Buffers;
using System.Globalization;
using System.Text;

namespace BytePiece;

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
    {
        int stop = Math.Max(allowZero ? 0 : 1, text.Length - LookBack);
        for (int i = text.Length - 1; i >= stop; i--)
        {
            if ((text[i] & 0xC0) == 0x80) continue; // a continuation byte
            if (StartsStably(text[i..])) return i;
        }
        return -1;
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
        return rune.ToString().IsNormalized(NormalizationForm.FormC);
    }
}
