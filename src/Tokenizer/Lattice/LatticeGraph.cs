namespace BytePiece;

/// <summary>
/// Every piece occurrence (edge) of a text, grouped by start: the explicit lattice that the analyses
/// (n-best, entropy, marginals, sampling over a graph) run over. For a BytePiece model no edge crosses a
/// chunk boundary and <see cref="Piece"/> holds piece indices; for a SentencePiece model edges start at
/// character starts, include spm's unknown nodes, and <see cref="Piece"/> holds ids.
/// </summary>
internal sealed class LatticeGraph
{
    public readonly int Length;

    /// <summary>Edges from start s are <c>First[s]..First[s + 1]</c>, ordered by increasing end.</summary>
    public readonly int[] First;
    public readonly int[] End;
    public readonly int[] Piece;
    public readonly double[] Score;

    private LatticeGraph(int length, int[] first, int[] end, int[] piece, double[] score)
    {
        Length = length;
        First = first;
        End = end;
        Piece = piece;
        Score = score;
    }

    /// <summary>
    /// spm's lattice (PopulateNodes) over normalized text: every trie piece at every character start, with
    /// its lattice score, and an unknown node of one character (min score - 10) where no one-character
    /// piece starts. Starts inside a character have no edges.
    /// </summary>
    public static LatticeGraph ForSentencePiece(SentencePieceModel model, ReadOnlySpan<byte> text)
    {
        int n = text.Length;
        var first = new int[n + 1];
        var ends = new List<int>();
        var ids = new List<int>();
        var scores = new List<double>();
        TrieNode[] nodes = model.Trie.Nodes;
        double unknownScore = model.MinScore - 10f;
        for (int s = 0, next = 0; s < n; s++)
        {
            first[s] = ends.Count;
            if (s != next) continue;
            int charLength = Math.Min(SentencePieceViterbi.OneCharLength(text[s]), n - s);
            next = s + charLength;
            bool hasSingle = false;
            int node = PieceTrie.Root;
            for (int j = s; j < n; j++)
            {
                int t = nodes[node].Base + text[j];
                if (nodes[t].Check != node) break;
                node = t;
                int piece = model.Trie.PieceAt[t];
                if (piece < 0) continue;
                ends.Add(j + 1);
                ids.Add(model.TrieIds[piece]);
                scores.Add(model.Trie.Scores[t]);
                hasSingle |= j + 1 == next;
            }
            if (hasSingle) continue;
            // Edges of a start stay ordered by end: the unknown spans one character, shorter than any other.
            int at = first[s];
            ends.Insert(at, next);
            ids.Insert(at, model.UnknownId);
            scores.Insert(at, unknownScore);
        }
        first[n] = ends.Count;
        return new LatticeGraph(n, first, [.. ends], [.. ids], [.. scores]);
    }

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
