using BytePiece.Lattice;

namespace BytePiece.Families.BytePiece;

/// <summary>
/// BytePiece's prompt lattice: the prompt is bytes, every byte offset of the last chunk is a node, and earlier
/// chunks are final (no token crosses a chunk boundary).
/// </summary>
internal sealed class BytePiecePromptLattice : PromptLattice
{
    private readonly UnigramModel _model;
    private readonly int[] _closedIds;
    private readonly int[] _back;
    private readonly int _length;

    public BytePiecePromptLattice(BytePieceTokenizer tokenizer, byte[] prompt)
        : base(prompt, LastChunkStart(prompt))
    {
        _model = tokenizer.Model;
        _length = prompt.Length;
        _closedIds = tokenizer.EncodeBytes(prompt.AsSpan(0, OpenStart));
        ReadOnlySpan<byte> chunk = prompt.AsSpan(OpenStart);
        var best = new double[chunk.Length + 1];
        _back = new int[chunk.Length + 1];
        best.AsSpan(1).Fill(double.NegativeInfinity);
        Viterbi.ProcessStarts(_model, chunk, best, _back, 0, chunk.Length);
    }

    // Chunks end after a \n run followed by another byte: everything before the last such end is final.
    private static int LastChunkStart(byte[] prompt)
    {
        int start = 0;
        for (int end; start < prompt.Length && (end = Chunker.ChunkEnd(prompt, start)) < prompt.Length;) start = end;
        return start;
    }

    public override bool IsNode(int position) => position >= OpenStart && position <= _length;

    public override IReadOnlyList<int> TokenStarts()
    {
        var starts = new List<int>();
        for (int e = _length - OpenStart; e > 0;)
        {
            e -= _model.PieceLength(_model.Trie.PieceAt[_back[e]]);
            starts.Add(OpenStart + e);
        }
        starts.Reverse();
        return starts;
    }

    public override IReadOnlyList<int> IdsBefore(int cut)
    {
        if (!IsNode(cut)) throw new ArgumentOutOfRangeException(nameof(cut), cut, $"{cut} is not a node of the open part ({OpenStart}..{_length})");
        var tail = new List<int>();
        for (int e = cut - OpenStart; e > 0;)
        {
            int piece = _model.Trie.PieceAt[_back[e]];
            tail.Add(_model.IdOfPiece(piece));
            e -= _model.PieceLength(piece);
        }
        tail.Reverse();
        return [.. _closedIds, .. tail];
    }
}
