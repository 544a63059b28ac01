using BytePiece.Lookup;
using BytePiece.Model;

namespace BytePiece.Lattice;

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

    private (int[] InFirst, int[] InEdges, int[] EdgeStart)? _byEnd;

    /// <summary>
    /// Edges by end, for the analyses that walk the lattice from its end: those ending at e are
    /// <c>InEdges[InFirst[e]..InFirst[e + 1]]</c> (edge indices, in index order); <c>EdgeStart[k]</c> is edge
    /// k's start. Built on first use (not thread-safe: a graph belongs to one call).
    /// </summary>
    public (int[] InFirst, int[] InEdges, int[] EdgeStart) EdgesByEnd()
    {
        if (_byEnd is { } built) return built;
        var inFirst = new int[Length + 2];
        foreach (int e in End) inFirst[e + 1]++;
        for (int e = 0; e <= Length; e++) inFirst[e + 1] += inFirst[e];
        var inEdges = new int[End.Length];
        var edgeStart = new int[End.Length];
        int[] next = inFirst[..(Length + 1)];
        for (int s = 0; s < Length; s++)
        {
            for (int k = First[s]; k < First[s + 1]; k++)
            {
                edgeStart[k] = s;
                inEdges[next[End[k]]++] = k;
            }
        }
        _byEnd = (inFirst, inEdges, edgeStart);
        return _byEnd.Value;
    }

    private LatticeGraph(int length, int[] first, int[] end, int[] piece, double[] score)
    {
        Length = length;
        First = first;
        End = end;
        Piece = piece;
        Score = score;
    }

    /// <summary>
    /// spm's lattice (<see cref="SentencePieceLattice"/>) made explicit: every trie piece at every character
    /// start with its lattice score, and the unknown nodes (min score - 10). Starts inside a character have
    /// no edges; a start's edges are ordered by end (its unknown, one character long, comes first).
    /// </summary>
    public static LatticeGraph ForSentencePiece(SentencePieceModel model, ReadOnlySpan<byte> text, SentencePieceWalk walk = SentencePieceWalk.Auto)
    {
        var collect = new EdgeList(model, text.Length);
        int[] pieceAt = SentencePieceLattice.Walk(model, text, collect, walk).PieceAt;
        collect.First.AsSpan(collect.Next).Fill(collect.Ends.Count);
        // Cells become ids now that the walk has said which trie they belong to (an unknown is already an id).
        int[] ids = [.. collect.Ids.Select(x => x >= 0 ? model.UnknownId : model.TrieIds[pieceAt[~x]])];
        return new LatticeGraph(text.Length, collect.First, [.. collect.Ends], ids, [.. collect.Scores]);
    }

    /// <summary>A lattice of one edge over <paramref name="length"/> positions (score 0): a part of a text that has only one reading, such as an added token.</summary>
    public static LatticeGraph Fixed(int piece, int length = 1)
    {
        var first = new int[length + 1];
        first.AsSpan(1).Fill(1);
        return new(length, first, [length], [piece], [0]);
    }

    /// <summary>A lattice of one position and one edge per choice (piece k is choice k, in order): a part of a text read one of several ways.</summary>
    public static LatticeGraph Choices(double[] scores) => new(1, [0, scores.Length], [.. scores.Select(_ => 1)], [.. Enumerable.Range(0, scores.Length)], scores);

    /// <summary>
    /// The lattice of independent parts laid end to end (positions and edges shifted; a part's edges keep
    /// their order); <paramref name="edgeOffsets"/>[k] is the index of part k's first edge, and the last entry the edge count.
    /// </summary>
    public static LatticeGraph Concatenate(IReadOnlyList<LatticeGraph> parts, out int[] edgeOffsets)
    {
        int length = parts.Sum(g => g.Length), edges = parts.Sum(g => g.End.Length);
        var first = new int[length + 1];
        var end = new int[edges];
        var piece = new int[edges];
        var score = new double[edges];
        edgeOffsets = new int[parts.Count + 1];
        int position = 0, edge = 0;
        for (int k = 0; k < parts.Count; k++)
        {
            LatticeGraph g = parts[k];
            edgeOffsets[k] = edge;
            for (int s = 0; s < g.Length; s++) first[position + s] = edge + g.First[s];
            for (int e = 0; e < g.End.Length; e++)
            {
                end[edge + e] = position + g.End[e];
                piece[edge + e] = g.Piece[e];
                score[edge + e] = g.Score[e];
            }
            position += g.Length;
            edge += g.End.Length;
        }
        first[length] = edge;
        edgeOffsets[parts.Count] = edge;
        return new LatticeGraph(length, first, end, piece, score);
    }

    /// <summary>HuggingFace's lattice of one word (<see cref="WordLattice"/>) made explicit; <see cref="Piece"/> holds the trie cell, or ~length for an unknown.</summary>
    public static LatticeGraph ForWord(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
    {
        var first = new int[word.Length + 1];
        var edges = new List<(int Start, int End, int Edge, double Score)>();
        WordLattice.Walk(model, word, (s, e, edge, score) => edges.Add((s, e, edge, score)));
        // Edges by start, then by end (an unknown is one character long: it sorts before the longer pieces).
        edges.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.End.CompareTo(b.End));
        int k = 0;
        for (int s = 0; s <= word.Length; s++)
        {
            first[s] = k;
            while (k < edges.Count && edges[k].Start == s) k++;
        }
        return new LatticeGraph(word.Length, first, [.. edges.Select(x => x.End)], [.. edges.Select(x => x.Edge)], [.. edges.Select(x => x.Score)]);
    }

    private sealed class EdgeList(SentencePieceModel model, int n) : ISentencePieceEdges
    {
        public readonly int[] First = new int[n + 1];
        public readonly List<int> Ends = [], Ids = [];
        public readonly List<double> Scores = [];
        public int Next; // positions before it have their First set
        private int _start;

        public double Start(int start, double carried)
        {
            First.AsSpan(Next, start + 1 - Next).Fill(Ends.Count);
            Next = start + 1;
            _start = Ends.Count;
            return 0;
        }

        public double[] CellValues(PieceTrie trie) => trie.Scores;

        public bool IsPiece(double value) => value != double.NegativeInfinity;

        public double Step(int start, int end, int cell, double score, double here)
        {
            if (!IsPiece(score)) return 0;
            Ends.Add(end);
            Ids.Add(~cell);
            Scores.Add(score);
            return 0;
        }

        public double Unknown(int start, int end, double here)
        {
            Ends.Insert(_start, end);
            Ids.Insert(_start, 0); // an unknown (cells are stored as ~cell)
            Scores.Insert(_start, model.MinScore - 10f);
            return 0;
        }
    }

    public LatticeGraph(UnigramModel model, ReadOnlySpan<byte> text)
    {
        // Two walks of the trie, the first to count: the arrays are allocated at their size (a long text
        // has a few edges per byte, and growing lists would hold up to three times as much at once).
        Length = text.Length;
        First = new int[text.Length + 1];
        int count = WalkChunks(model, text, null, null, null, First);
        End = new int[count];
        Piece = new int[count];
        Score = new double[count];
        WalkChunks(model, text, End, Piece, Score, First);
    }

    /// <summary>Every piece at every start within its chunk: counts them, and fills the arrays when given.</summary>
    private static int WalkChunks(UnigramModel model, ReadOnlySpan<byte> text, int[]? ends, int[]? pieces, double[]? scores, int[] first)
    {
        TrieNode[] nodes = model.Trie.Nodes;
        int chunkEnd = 0, count = 0;
        for (int s = 0; s < text.Length; s++)
        {
            if (s == chunkEnd) chunkEnd = Chunker.ChunkEnd(text, s);
            first[s] = count;
            int node = PieceTrie.Root;
            for (int j = s; j < chunkEnd; j++)
            {
                int t = nodes[node].Base + text[j];
                if (nodes[t].Check != node) break;
                node = t;
                int piece = model.Trie.PieceAt[t];
                if (piece < 0) continue;
                if (ends is not null)
                {
                    ends[count] = j + 1;
                    pieces![count] = piece;
                    scores![count] = model.Trie.Scores[t];
                }
                count++;
            }
        }
        first[text.Length] = count;
        return count;
    }
}
