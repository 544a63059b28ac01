using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace BytePiece;

/// <summary>UTF-8 to UTF-16 with an explicit policy for invalid bytes; the one decoder every API uses.</summary>
internal static class Utf8Text
{
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
