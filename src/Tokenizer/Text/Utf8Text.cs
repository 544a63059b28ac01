using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace BytePiece.Text;

/// <summary>UTF-8 to UTF-16 with an explicit policy for invalid bytes; the one decoder every API uses.</summary>
internal static class Utf8Text
{
    /// <summary>
    /// The code point of the well-formed UTF-8 sequence at <paramref name="i"/> of <paramref name="text"/> and its
    /// length; false for a malformed one (overlong, surrogate, truncated, stray continuation). One- to
    /// three-byte sequences are decoded inline, for the per-character loops of the fast paths.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool TryDecodeAt(ReadOnlySpan<byte> text, int i, out int codePoint, out int length)
    {
        byte b = text[i];
        if (b < 0x80)
        {
            (codePoint, length) = (b, 1);
            return true;
        }
        if (b is >= 0xC2 and <= 0xDF && i + 1 < text.Length && (text[i + 1] & 0xC0) == 0x80)
        {
            (codePoint, length) = (((b & 0x1F) << 6) | (text[i + 1] & 0x3F), 2);
            return true;
        }
        if ((b & 0xF0) == 0xE0 && i + 2 < text.Length && (text[i + 1] & 0xC0) == 0x80 && (text[i + 2] & 0xC0) == 0x80)
        {
            (codePoint, length) = (((b & 0x0F) << 12) | ((text[i + 1] & 0x3F) << 6) | (text[i + 2] & 0x3F), 3);
            return codePoint >= 0x800 && codePoint is < 0xD800 or > 0xDFFF;
        }
        bool done = Rune.DecodeFromUtf8(text[i..], out Rune rune, out length) == OperationStatus.Done;
        codePoint = rune.Value;
        return done;
    }

    /// <summary>
    /// Appends the text of <paramref name="bytes"/> to <paramref name="output"/>. When
    /// <paramref name="isFinal"/> is false, an incomplete but so far valid sequence at the end is left
    /// undecoded; the return value says how many bytes were consumed.
    /// </summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="output">Where the text goes.</param>
    /// <param name="policy">What to do with invalid bytes.</param>
    /// <param name="isFinal">No more bytes follow.</param>
    /// <param name="baseOffset">Offset of <paramref name="bytes"/>[0] in the whole sequence, for error messages.</param>
    public static int Decode(ReadOnlySpan<byte> bytes, StringBuilder output, DecodePolicy policy, bool isFinal, long baseOffset)
    {
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Min(Math.Max(bytes.Length, 16), 1 << 16));
        try
        {
            int pos = 0;
            while (pos < bytes.Length)
            {
                OperationStatus status = Utf8.ToUtf16(bytes[pos..], buffer, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: isFinal);
                output.Append(buffer, 0, written);
                pos += read;
                switch (status)
                {
                    case OperationStatus.Done:
                    case OperationStatus.DestinationTooSmall:
                        continue;
                    case OperationStatus.NeedMoreData:
                        return pos;
                    default:
                        Rune.DecodeFromUtf8(bytes[pos..], out _, out int invalid);
                        if (policy == DecodePolicy.Strict) throw new InvalidUtf8Exception(baseOffset + pos);
                        if (policy == DecodePolicy.Replace) output.Append('\uFFFD');
                        pos += Math.Max(1, invalid);
                        continue;
                }
            }
            return pos;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
