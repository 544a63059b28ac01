namespace BytePiece;

/// <summary>
/// HuggingFace's Unigram <c>encode_optimized</c> over one pre-tokenized word: starts at character starts,
/// every trie match relaxes its end with a strict <c>&gt;</c> in double (the first candidate always
/// wins), an unknown node of one character (min score - 10) where no one-character piece starts, and
/// on the way back consecutive unknowns fused into one span.
/// </summary>
internal static class WordViterbi
{
    /// <summary>The best path's tokens as (start, end, trie cell, or -1 for a fused run of unknowns), in order.</summary>
    /// <exception cref="InvalidOperationException">An unknown character, and the model has no unknown id.</exception>
    public static List<(int Start, int End, int Cell)> Solve(TokenizerJsonUnigram model, ReadOnlySpan<byte> word)
    {
        int n = word.Length;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var cellAt = new int[n + 1];
        from.AsSpan().Fill(-1);
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
                double candidate = model.Trie.Scores[t] + best[i];
                if (from[j + 1] == -1 || candidate > best[j + 1])
                {
                    best[j + 1] = candidate;
                    from[j + 1] = i;
                    cellAt[j + 1] = t;
                }
                hasSingle |= j + 1 - i == charLength;
            }
            if (!hasSingle)
            {
                if (model.UnknownId is null) throw new InvalidOperationException("the text has a character the vocabulary lacks, and the model has no unk_id");
                double candidate = unknownScore + best[i];
                if (from[i + charLength] == -1 || candidate > best[i + charLength])
                {
                    best[i + charLength] = candidate;
                    from[i + charLength] = i;
                    cellAt[i + charLength] = -1;
                }
            }
            i += charLength;
        }
        // HF fuses by id: a node is unknown when its id is unk_id, which a literal "<unk>" matched from text also has.
        bool IsUnknown(int e) => cellAt[e] < 0 || model.TrieIds[pieceAt[cellAt[e]]] == model.UnknownId;
        var tokens = new List<(int, int, int)>();
        int unknownEnd = -1;
        for (int e = n; e > 0; e = from[e])
        {
            if (IsUnknown(e))
            {
                if (unknownEnd < 0) unknownEnd = e;
                if (from[e] > 0 && IsUnknown(from[e])) continue; // the run goes on
                tokens.Add((from[e], unknownEnd, -1));
                unknownEnd = -1;
                continue;
            }
            tokens.Add((from[e], e, cellAt[e]));
        }
        tokens.Reverse();
        return tokens;
    }
}
