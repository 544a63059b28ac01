namespace BytePiece;

/// <summary>Splits bytes into chunks and runs the lattice on each, handing tokens to a sink in order.</summary>
internal static class ChunkEncoder
{
    /// <summary>Encodes <paramref name="text"/> (never normalized here).</summary>
    /// <returns>Bytes consumed: all of them, unless the sink refused a chunk (then the refused chunk's start).</returns>
    public static int Encode<TSink>(UnigramModel model, ReadOnlySpan<byte> text, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        int pos = 0;
        while (pos < text.Length)
        {
            int end = Chunker.ChunkEnd(text, pos);
            ReadOnlySpan<byte> chunk = text[pos..end];
            LatticeScratch scratch = LatticeScratch.Rent(chunk.Length);
            try
            {
                int count = Viterbi.Solve(model, chunk, scratch);
                if (!sink.BeginChunk(count)) return pos;
                int[] path = scratch.Path;
                int start = pos;
                for (int k = count - 1; k >= 0; k--)
                {
                    int piece = path[k];
                    int stop = start + model.PieceLength(piece);
                    sink.Add(model.IdOfPiece(piece), start, stop);
                    start = stop;
                }
            }
            finally
            {
                LatticeScratch.Return(scratch);
            }
            pos = end;
        }
        return pos;
    }
}
