using System.Buffers;
using BytePiece.Lookup;
using BytePiece.Model;

namespace BytePiece.Lattice;

/// <summary>
/// HuggingFace's Unigram lattice over one pre-tokenized word (models/unigram): edges at character starts,
/// every vocabulary entry the trie finds (specials and byte pieces too) with its double score, and an
/// unknown node of one character (min score - 10) where no one-character piece starts. Viterbi
/// (<c>encode_optimized</c>), the exact sampler and the explicit graph take their edges from here; a path
/// is read back with HF's fusing of consecutive unknowns.
/// </summary>
internal static class WordLattice
{
    /// <summary>Receives a word lattice's edges (a struct, so the walk's calls are inlined and nothing is allocated per word).</summary>
    internal interface IEdges
    {
        /// <summary>An edge from <paramref name="start"/> to <paramref name="end"/>: a trie cell, or ~length for an unknown.</summary>
        void Edge(int start, int end, int cell, double score);
    }

    /// <summary>Calls <paramref name="edge"/>(start, end, cell or ~length for an unknown, score) for every edge, starts in increasing order.</summary>
    /// <exception cref="InvalidOperationException">An unknown character, and the model has no unknown id.</exception>
    public static void Walk(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, Action<int, int, int, double> edge)
    {
        var edges = new DelegateEdges(edge);
        Walk(model, word, ref edges);
    }

    /// <summary>Hands every edge to <paramref name="edges"/>, starts in increasing order (see the delegate overload).</summary>
    /// <exception cref="InvalidOperationException">An unknown character, and the model has no unknown id.</exception>
    public static void Walk<TEdges>(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, ref TEdges edges) where TEdges : IEdges, allows ref struct
    {
        int n = word.Length;
        TrieNode[] nodes = model.Trie.Nodes;
        int[] pieceAt = model.Trie.PieceAt;
        double unknownScore = model.MinScore - 10;
        for (int i = 0; i < n;)
        {
            int charLength = Math.Min(SentencePieceLattice.OneCharLength(word[i]), n - i);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + word[j];
                if (nodes[t].Check != node) break;
                node = t;
                if (pieceAt[t] < 0) continue;
                edges.Edge(i, j + 1, t, model.Trie.Scores[t]);
                hasSingle |= j + 1 - i == charLength;
            }
            if (!hasSingle)
            {
                if (model.UnknownId is null) throw new InvalidOperationException("the text has a character the vocabulary lacks, and the model has no unk_id");
                edges.Edge(i, i + charLength, ~charLength, unknownScore);
            }
            i += charLength;
        }
    }

    private readonly struct DelegateEdges(Action<int, int, int, double> edge) : IEdges
    {
        public void Edge(int start, int end, int cell, double score) => edge(start, end, cell, score);
    }

    /// <summary>The best path (HF: strict <c>&gt;</c> in double, the first candidate of an end always wins).</summary>
    public static List<(int Start, int End, int Cell)> Viterbi(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
    {
        var path = new List<(int, int, int)>();
        Viterbi(model, word, path);
        return path;
    }

    /// <summary>The best path into <paramref name="path"/> (emptied first), with no allocation beyond the list's growth.</summary>
    public static void Viterbi(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, List<(int Start, int End, int Cell)> path)
    {
        int[] back = ArrayPool<int>.Shared.Rent(word.Length + 1);
        try
        {
            BestBack(model, word, back);
            path.Clear();
            ReadPath(model, back, word.Length, path);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(back);
        }
    }

    /// <summary>The back pointer of the best path to every node (cell, or ~length for an unknown): read a path to any node with <see cref="ReadPath(TokenizerJsonUnigram, int[], int)"/>.</summary>
    public static int[] BestBack(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
    {
        var back = new int[word.Length + 1];
        BestBack(model, word, back);
        return back;
    }

    /// <summary>Fills <paramref name="back"/>[0..n] (n = the word's length) as the other overload returns it.</summary>
    private static void BestBack(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, Span<int> back)
    {
        int n = word.Length;
        double[] best = ArrayPool<double>.Shared.Rent(n + 1);
        bool[] set = ArrayPool<bool>.Shared.Rent(n + 1);
        try
        {
            back[..(n + 1)].Clear();
            best.AsSpan(0, n + 1).Clear();
            set.AsSpan(0, n + 1).Clear();
            var edges = new BestEdges(best, back, set);
            Walk(model, word, ref edges);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(best);
            ArrayPool<bool>.Shared.Return(set);
        }
    }

    /// <summary>Viterbi's relaxation of each edge, in walk order.</summary>
    private readonly ref struct BestEdges(double[] best, Span<int> back, bool[] set) : IEdges
    {
        private readonly Span<int> _back = back;

        public void Edge(int start, int end, int cell, double score)
        {
            double candidate = score + best[start];
            if (set[end] && !(candidate > best[end])) return;
            best[end] = candidate;
            _back[end] = cell;
            set[end] = true;
        }
    }

    /// <summary>A path drawn with probability exactly <c>exp(alpha * score) / Z</c> (forward sums, reservoir back pointers).</summary>
    public static List<(int Start, int End, int Cell)> Sample<TChoice>(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = word.Length;
        var forward = new double[n + 1];
        var back = new int[n + 1];
        forward.AsSpan(1).Fill(double.NegativeInfinity);
        var draws = new List<(int End, int Edge, double Weight, double Total)>();
        Walk(model, word, (s, e, edge, score) =>
        {
            double w = forward[s] + alpha * score;
            forward[e] = Sampler.LogAddExp(forward[e], w);
            draws.Add((e, edge, w, forward[e]));
        });
        // The draws happen after the walk (a lambda cannot hold a ref); their order and their
        // probabilities are the walk's, so the result is the same as drawing inside it.
        foreach (var (end, edge, w, total) in draws)
            if (choice.Accept(end, edge, Math.Exp(w - total), 1.0)) back[end] = edge;
        return ReadPath(model, back, n);
    }

    /// <summary>The path of back[] (cell or ~length per end), unknowns fused as HF fuses them: by id, so a literal "&lt;unk&gt;" counts.</summary>
    public static List<(int Start, int End, int Cell)> ReadPath(TokenizerJsonUnigram model, int[] back, int n)
    {
        var tokens = new List<(int, int, int)>();
        ReadPath(model, back, n, tokens);
        return tokens;
    }

    /// <summary>Appends the path of back[] to <paramref name="tokens"/> (see the other overload).</summary>
    private static void ReadPath(TokenizerJsonUnigram model, ReadOnlySpan<int> back, int n, List<(int Start, int End, int Cell)> tokens)
    {
        int first = tokens.Count;
        int unknownEnd = -1;
        for (int e = n; e > 0; e = Start(model, back, e))
        {
            if (IsUnknown(model, back, e))
            {
                if (unknownEnd < 0) unknownEnd = e;
                int start = Start(model, back, e);
                if (start > 0 && IsUnknown(model, back, start)) continue; // the run goes on
                tokens.Add((start, unknownEnd, -1));
                unknownEnd = -1;
                continue;
            }
            tokens.Add((Start(model, back, e), e, back[e]));
        }
        tokens.Reverse(first, tokens.Count - first);

        static int Start(TokenizerJsonUnigram model, ReadOnlySpan<int> back, int e) => back[e] >= 0 ? e - model.TrieLengths[model.Trie.PieceAt[back[e]]] : e - ~back[e];
        static bool IsUnknown(TokenizerJsonUnigram model, ReadOnlySpan<int> back, int e) => back[e] < 0 || model.TrieIds[model.Trie.PieceAt[back[e]]] == model.UnknownId;
    }
}
