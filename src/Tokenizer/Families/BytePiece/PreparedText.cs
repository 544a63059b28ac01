using System.Buffers;
using System.Text;
using BytePiece.Normalization;

namespace BytePiece.Families.BytePiece;

/// <summary>
/// Text made ready for the byte engine: normalized, encoded as UTF-8 into a pooled buffer, with an
/// optional map from byte positions back to UTF-16 positions of the caller's original string.
/// </summary>
internal ref struct PreparedText
{
    private byte[]? _rented;
    private readonly int[]? _normalizedToOriginal;
    private readonly string? _owned;
    private int[]? _charOfByte;

    /// <summary>The UTF-8 bytes the engine encodes.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The normalized text (the original when nothing changed).</summary>
    public ReadOnlySpan<char> Normalized { get; }

    /// <summary>Length of the caller's original text.</summary>
    public int OriginalLength { get; }

    public PreparedText(ReadOnlySpan<char> text, TextNormalization form, bool wantOffsets)
    {
        OriginalLength = text.Length;
        Normalized = TextNormalizer.Normalize(text, form, wantOffsets, out _normalizedToOriginal, out _owned);
        int max = Encoding.UTF8.GetMaxByteCount(Normalized.Length);
        _rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, max));
        int length = Encoding.UTF8.GetBytes(Normalized, _rented);
        Bytes = _rented.AsSpan(0, length);
        _charOfByte = null;
    }

    /// <summary>
    /// Maps a byte position of <see cref="Bytes"/> to a UTF-16 position of the original text. A position
    /// inside a character, or inside a span that normalization rewrote, snaps forward to its end.
    /// </summary>
    /// <returns>True when the position maps exactly (a character boundary outside rewritten spans).</returns>
    public bool MapByte(int bytePosition, out int originalPosition)
    {
        _charOfByte ??= BuildCharOfByte(Normalized, Bytes.Length);
        int c = _charOfByte[bytePosition];
        bool exact = c >= 0;
        if (!exact) c = -c - 1;
        int o = _normalizedToOriginal is null ? c : _normalizedToOriginal[c];
        if (o < 0)
        {
            exact = false;
            o = -o - 1;
        }
        originalPosition = o;
        return exact;
    }

    /// <summary>For each byte position, the UTF-16 index of the character starting there, or -(next + 1) mid-character.</summary>
    private static int[] BuildCharOfByte(ReadOnlySpan<char> text, int byteLength)
    {
        var map = new int[byteLength + 1];
        int b = 0;
        for (int i = 0; i < text.Length;)
        {
            int units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int bytes = units == 2 ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            map[b] = i;
            for (int k = 1; k < bytes; k++) map[b + k] = -(i + units + 1);
            b += bytes;
            i += units;
        }
        map[byteLength] = text.Length;
        return map;
    }

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
        _rented = null;
    }
}
