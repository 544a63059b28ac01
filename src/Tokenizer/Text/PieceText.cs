using System.Buffers;
using System.Text;

namespace BytePiece;

/// <summary>
/// Shows piece bytes as text for people: valid UTF-8 appears as itself, every byte that is not part of
/// a valid UTF-8 sequence appears as <c>&lt;0xNN&gt;</c> (the SentencePiece byte-piece notation), so
/// distinct byte pieces never look the same (upstream BytePiece silently drops such bytes).
/// </summary>
public static class PieceText
{
    /// <summary>The piece as text; invalid UTF-8 bytes as <c>&lt;0xNN&gt;</c>.</summary>
    public static string Format(ReadOnlySpan<byte> piece) => Format(piece, escapeSpaceAndControls: false);

    /// <summary>
    /// The piece as text for a space-separated listing: as <see cref="Format(ReadOnlySpan{byte})"/>, and
    /// also a space shown as <c>▁</c> (U+2581, as SentencePiece shows it), control characters as
    /// <c>&lt;0xNN&gt;</c> and a literal U+2581 as its three bytes, so a listing stays one line per
    /// chunk and unambiguous about spaces.
    /// </summary>
    public static string FormatForListing(ReadOnlySpan<byte> piece) => Format(piece, escapeSpaceAndControls: true);

    private static string Format(ReadOnlySpan<byte> piece, bool escapeSpaceAndControls)
    {
        var sb = new StringBuilder(piece.Length + 8);
        Span<char> pair = stackalloc char[2];
        while (!piece.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf8(piece, out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                // Invalid or incomplete: show each byte of the maximal invalid subsequence.
                for (int k = 0; k < consumed; k++) AppendByte(sb, piece[k]);
            }
            else if (escapeSpaceAndControls && (Rune.IsControl(rune) || rune.Value == 0x2581))
            {
                for (int k = 0; k < consumed; k++) AppendByte(sb, piece[k]);
            }
            else if (escapeSpaceAndControls && rune.Value == ' ')
            {
                sb.Append('\u2581');
            }
            else
            {
                int n = rune.EncodeToUtf16(pair);
                sb.Append(pair[..n]);
            }
            piece = piece[consumed..];
        }
        return sb.ToString();
    }

    private static void AppendByte(StringBuilder sb, byte b) => sb.Append("<0x").Append(b.ToString("X2")).Append('>');
}
