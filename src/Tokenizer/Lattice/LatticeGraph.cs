namespace BytePiece;

/// <summary>
/// Every piece occurrence (edge) of a byte text, grouped by start, with no edge crossing a chunk
/// boundary: the explicit lattice that the analyses (n-best, entropy, marginals) run over.
/// </summary>
internal sealed class LatticeGraph
{
    public readonly int Length;

    /// <summary>Edges from start s are <c>First[s]..First[s + 1]</c>, ordered by increasing end.</summary>
    public readonly int[] First;
    public readonly int[] End;
    public readonly int[] Piece;
    public readonly double[] Score;

    public LatticeGraph(UnigramModel model, ReadOnlySpan<byte> text)
    {
        Length = text.Length;
        First = new int[text.Length + 1];
        var ends = new List<int>();
        var pieces = new List<int>();
        var scores = new List<double>();
        TrieNode[] nodes = model.Trie.Nodes;
        int chunkEnd = 0;
        for (int s = 0; s < text.Length; s++)
        {
            if (s == chunkEnd) chunkEnd = Chunker.ChunkEnd(text, s);
            First[s] = ends.Count;
            int node = PieceTrie.Root;
            for (int j = s; j < chunkEnd; j++)
            {
                int t = nodes[node].Base + text[j];
                if (nodes[t].Check != node) break;
                node = t;
                int piece = model.Trie.PieceAt[t];
                if (piece < 0) continue;
                ends.Add(j + 1);
                pieces.Add(piece);
                scores.Add(model.Trie.Scores[t]);
            }
        }
        First[text.Length] = ends.Count;
        End = [.. ends];
        Piece = [.. pieces];
        Score = [.. scores];
    }
}
