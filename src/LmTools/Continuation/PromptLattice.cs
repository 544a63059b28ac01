namespace BytePiece.LmTools.Continuation;

/// <summary>
/// The prompt's Viterbi lattice with its back pointers at every node: the best path to any byte offset k
/// is read off it (earlier chunks are final; the last chunk is open, since what follows may extend it).
/// </summary>
internal sealed class PromptLattice
{
    private readonly UnigramModel _model;
    private readonly List<int> _closedIds;
    private readonly int[] _back;

    public PromptLattice(UnigramModel model, ReadOnlySpan<byte> prompt)
    {
        _model = model;
        int start = 0;
        // Chunks end after a \n run followed by another byte: everything before the last such end is final.
        for (int end; start < prompt.Length && (end = Chunker.ChunkEnd(prompt, start)) < prompt.Length;) start = end;
        OpenChunkStart = start;
        _closedIds = [.. new BytePieceTokenizer(model).EncodeBytes(prompt[..start])];
        ReadOnlySpan<byte> chunk = prompt[start..];
        var best = new double[chunk.Length + 1];
        _back = new int[chunk.Length + 1];
        best.AsSpan(1).Fill(double.NegativeInfinity);
        Viterbi.ProcessStarts(model, chunk, best, _back, 0, chunk.Length);
    }

    /// <summary>Where the open last chunk starts; no cut goes before it.</summary>
    public int OpenChunkStart { get; }

    /// <summary>The ids of the best path to byte offset <paramref name="k"/> (at or after <see cref="OpenChunkStart"/>).</summary>
    public List<int> PathIds(int k)
    {
        var ids = new List<int>(_closedIds);
        var tail = new List<int>();
        for (int e = k - OpenChunkStart; e > 0;)
        {
            int piece = _model.Trie.PieceAt[_back[e]];
            tail.Add(_model.IdOfPiece(piece));
            e -= _model.PieceLength(piece);
        }
        tail.Reverse();
        ids.AddRange(tail);
        return ids;
    }

    /// <summary>The start offsets of the tokens of the best path to <paramref name="k"/> (those of the open chunk).</summary>
    public List<int> TokenStarts(int k)
    {
        var starts = new List<int>();
        for (int e = k - OpenChunkStart; e > 0;)
        {
            e -= _model.PieceLength(_model.Trie.PieceAt[_back[e]]);
            starts.Add(OpenChunkStart + e);
        }
        starts.Reverse();
        return starts;
    }
}
