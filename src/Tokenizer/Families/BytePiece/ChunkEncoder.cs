using BytePiece.Lattice;

namespace BytePiece.Families.BytePiece;

/// <summary>Splits bytes into chunks and runs the lattice on each, handing tokens to a sink in order.</summary>
internal static class ChunkEncoder
{
    /// <summary>Encodes <paramref name="text"/> (never normalized here), by Viterbi or by sampling.</summary>
    /// <returns>Bytes consumed: all of them, unless the sink refused a chunk (then the refused chunk's start).</returns>
    public static int Encode<TSink>(UnigramModel model, ReadOnlySpan<byte> text, ref TSink sink, SamplingOptions? sampling = null)
        where TSink : ITokenSink, allows ref struct
    {
        bool sample = sampling is { IsViterbi: false };
        long chunkIndex = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int end = Chunker.ChunkEnd(text, pos);
            ReadOnlySpan<byte> chunk = text[pos..end];
            LatticeScratch scratch = LatticeScratch.Rent(chunk.Length);
            try
            {
                int count;
                if (sample)
                {
                    CounterRng rng = sampling!.Value.RngForChunk(chunkIndex);
                    count = Sampler.Solve(model, chunk, scratch, sampling.Value.Alpha, ref rng);
                }
                else
                {
                    count = Viterbi.Solve(model, chunk, scratch);
                }
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
            chunkIndex++;
        }
        return pos;
    }
}
