using System.Buffers;

namespace BytePiece.Decoding;

/// <summary>
/// Microsoft.ML.Tokenizers' span decode over any of our decoders: the text of the longest run of leading ids
/// whose decoding fits and is the start of the whole decoding. A run that ends inside a character (its first
/// byte pieces) decodes differently from the whole, so it is never taken, and a character is never split.
/// </summary>
internal static class SpanDecoder
{
    public static OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten, Func<IEnumerable<int>, string> decode)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int[] all = ids as int[] ?? [.. ids];
        string whole = decode(all);
        if (whole.Length <= destination.Length)
        {
            whole.CopyTo(destination);
            idsConsumed = all.Length;
            charsWritten = whole.Length;
            return OperationStatus.Done;
        }
        // Decoded length grows with the ids nearly monotonically, so a binary search finds the last run that
        // fits; from there, step back to a run whose text starts the whole text.
        int low = 0, high = all.Length - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (decode(new ArraySegment<int>(all, 0, middle)).Length <= destination.Length) low = middle;
            else high = middle - 1;
        }
        for (int k = low; k > 0; k--)
        {
            string part = decode(new ArraySegment<int>(all, 0, k));
            if (part.Length > destination.Length || !whole.StartsWith(part, StringComparison.Ordinal)) continue;
            if (part.Length > 0 && char.IsHighSurrogate(part[^1])) continue;
            part.CopyTo(destination);
            idsConsumed = k;
            charsWritten = part.Length;
            return OperationStatus.DestinationTooSmall;
        }
        idsConsumed = 0;
        charsWritten = 0;
        return OperationStatus.DestinationTooSmall;
    }
}
