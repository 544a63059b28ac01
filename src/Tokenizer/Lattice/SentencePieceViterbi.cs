using System.Runtime.CompilerServices;

namespace BytePiece;

/// <summary>
/// SentencePiece's optimized Unigram Viterbi (unigram_model.cc, <c>EncodeOptimized</c>), to the bit:
/// starts only at character starts (lead-byte length table), every trie match from a start relaxes its
/// end with a strict <c>&gt;</c> (ends meet candidates from increasing starts, so the earliest start
/// wins ties), the first candidate of an end always wins, and a start without a one-character piece
/// gets an unknown node of one character scoring <c>min_score - 10</c>. Best scores are stored as float32;
/// a piece's candidate is formed in double (in spm the user-defined branch makes the score expression a
/// double) and rounded when stored, an unknown's candidate is a float sum. Ties resolve exactly as there.
/// </summary>
internal static class SentencePieceViterbi
{
    private const float UnknownPenalty = 10f;

    /// <summary>Solves the lattice of normalized <paramref name="text"/>; the path (ids and starts, last first) goes to the scratch.</summary>
    /// <returns>The number of tokens.</returns>
    public static int Solve(SentencePieceModel model, ReadOnlySpan<byte> text, SentencePieceScratch scratch)
    {
        int n = text.Length;
        scratch.EnsureLattice(n);
        Span<float> best = scratch.Best.AsSpan(0, n + 1);
        Span<int> from = scratch.From.AsSpan(0, n + 1);
        Span<int> idAt = scratch.IdAt.AsSpan(0, n + 1);
        from.Fill(-1);
        best[0] = 0;

        TrieNode[] nodes = model.Trie.Nodes;
        int[] pieceAt = model.Trie.PieceAt;
        float[] scores = model.TrieScores;
        bool[] userDefined = model.TrieUserDefined;
        int[] ids = model.TrieIds;
        float maxScore = model.MaxScore;
        float unknownScore = model.MinScore - UnknownPenalty;
        int unknownId = model.UnknownId;

        int i = 0;
        while (i < n)
        {
            float here = best[i];
            int charLength = Math.Min(OneCharLength(text[i]), n - i);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + text[j];
                if (nodes[t].Check != node) break;
                node = t;
                int p = pieceAt[t];
                if (p < 0) continue;
                int end = j + 1, length = end - i;
                // spm's `IsUserDefined ? length * max_score - 0.1 : score` has type double (0.1 is a double
                // literal), so every piece's candidate is a double sum, compared with the float holder and
                // rounded when stored. This rounding decides near-ties; float sums give other paths.
                double score = userDefined[p] ? (double)((float)length * maxScore) - 0.1 : scores[p];
                double candidate = score + here;
                if (from[end] == -1 || candidate > best[end]) Set(best, from, idAt, end, (float)candidate, i, ids[p]);
                if (length == charLength) hasSingle = true;
            }
            if (!hasSingle)
            {
                int end = i + charLength;
                float candidate = unknownScore + here; // float + float in spm: a float sum
                if (from[end] == -1 || candidate > best[end]) Set(best, from, idAt, end, candidate, i, unknownId);
            }
            i += charLength;
        }

        int count = 0;
        int[] pathIds = scratch.PathIds, pathStarts = scratch.PathStarts;
        for (int e = n; e > 0; e = from[e])
        {
            pathIds[count] = idAt[e];
            pathStarts[count] = from[e];
            count++;
        }
        return count;
    }

    /// <summary>spm's <c>OneCharLen</c>: the sequence length its lead byte announces (a stray continuation byte counts as 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OneCharLength(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(Span<float> best, Span<int> from, Span<int> idAt, int end, float score, int start, int id)
    {
        best[end] = score;
        from[end] = start;
        idAt[end] = id;
    }
}
