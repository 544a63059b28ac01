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
    /// <summary>Calls <paramref name="edge"/>(start, end, cell or ~length for an unknown, score) for every edge, starts in increasing order.</summary>
    /// <exception cref="InvalidOperationException">An unknown character, and the model has no unknown id.</exception>
    public static void Walk(TokenizerJsonUnigram model, ReadOnlySpan<byte> word, Action<int, int, int, double> edge)
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
                edge(i, j + 1, t, model.Trie.Scores[t]);
                hasSingle |= j + 1 - i == charLength;
            }
            if (!hasSingle)
            {
                if (model.UnknownId is null) throw new InvalidOperationException("the text has a character the vocabulary lacks, and the model has no unk_id");
                edge(i, i + charLength, ~charLength, unknownScore);
            }
            i += charLength;
        }
    }

    /// <summary>The best path (HF: strict <c>&gt;</c> in double, the first candidate of an end always wins).</summary>
    public static List<(int Start, int End, int Cell)> Viterbi(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
        => ReadPath(model, BestBack(model, word), word.Length);

    /// <summary>The back pointer of the best path to every node (cell, or ~length for an unknown): read a path to any node with <see cref="ReadPath"/>.</summary>
    public static int[] BestBack(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
    {
        int n = word.Length;
        var best = new double[n + 1];
        var back = new int[n + 1];
        var set = new bool[n + 1];
        Walk(model, word, (s, e, edge, score) =>
        {
            double candidate = score + best[s];
            if (set[e] && !(candidate > best[e])) return;
            best[e] = candidate;
            back[e] = edge;
            set[e] = true;
        });
        return back;
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
        int Start(int e) => back[e] >= 0 ? e - model.TrieLengths[model.Trie.PieceAt[back[e]]] : e - ~back[e];
        bool IsUnknown(int e) => back[e] < 0 || model.TrieIds[model.Trie.PieceAt[back[e]]] == model.UnknownId;
        var tokens = new List<(int, int, int)>();
        int unknownEnd = -1;
        for (int e = n; e > 0; e = Start(e))
        {
            if (IsUnknown(e))
            {
                if (unknownEnd < 0) unknownEnd = e;
                if (Start(e) > 0 && IsUnknown(Start(e))) continue; // the run goes on
                tokens.Add((Start(e), unknownEnd, -1));
                unknownEnd = -1;
                continue;
            }
            tokens.Add((Start(e), e, back[e]));
        }
        tokens.Reverse();
        return tokens;
    }
}
