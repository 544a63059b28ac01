namespace BytePiece;

/// <summary>
/// BytePiece's pre-split: a chunk is a run of non-<c>\n</c> bytes followed by the run of <c>\n</c> after
/// it (<c>\r</c> is an ordinary byte). No piece crosses a chunk boundary, so chunks encode independently.
/// </summary>
public static class Chunker
{
    /// <summary>End (exclusive) of the chunk that starts at <paramref name="start"/>.</summary>
    public static int ChunkEnd(ReadOnlySpan<byte> text, int start)
    {
        int newline = text[start..].IndexOf((byte)'\n');
        if (newline < 0) return text.Length;
        int afterRun = text[(start + newline)..].IndexOfAnyExcept((byte)'\n');
        return afterRun < 0 ? text.Length : start + newline + afterRun;
    }

    /// <summary>
    /// End of the last complete chunk in <paramref name="text"/> when more input may follow: the position
    /// after the last <c>\n</c> that is followed by a non-<c>\n</c> byte, or 0 if there is none yet.
    /// </summary>
    public static int LastCompleteChunkEnd(ReadOnlySpan<byte> text)
    {
        // Scan back over a trailing non-newline run; a newline before it closes a chunk.
        int i = text.LastIndexOf((byte)'\n');
        while (i >= 0)
        {
            if (i + 1 < text.Length) return i + 1;
            // The text ends with a newline run, which the next input may extend: look before the run.
            int beforeRun = text[..i].LastIndexOfAnyExcept((byte)'\n');
            if (beforeRun < 0) return 0;
            i = text[..beforeRun].LastIndexOf((byte)'\n');
        }
        return 0;
    }

    /// <summary>Number of chunks in <paramref name="text"/> (0 for empty text).</summary>
    public static long CountChunks(ReadOnlySpan<byte> text)
    {
        long count = 0;
        for (int pos = 0; pos < text.Length; pos = ChunkEnd(text, pos)) count++;
        return count;
    }
}
