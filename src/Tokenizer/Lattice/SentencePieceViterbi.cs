using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        // best[e] starts at -inf, so the first (finite) candidate always wins, as spm's `starts_at == -1` test does.
        Span<float> best = scratch.Best.AsSpan(0, n + 1);
        Span<int> back = scratch.Back.AsSpan(0, n + 1);
        best.Fill(float.NegativeInfinity);
        best[0] = 0;

        PieceTrie trie = model.Trie;
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        ref double scores = ref MemoryMarshal.GetArrayDataReference(trie.Scores);
        ref float bestRef = ref MemoryMarshal.GetReference(best);
        ref int backRef = ref MemoryMarshal.GetReference(back);
        float unknownScore = model.MinScore - UnknownPenalty;
        ref byte textRef = ref MemoryMarshal.GetReference(text);

        int i = 0;
        while (i < n)
        {
            float here = Unsafe.Add(ref bestRef, i);
            int charLength = Math.Min(OneCharLength(Unsafe.Add(ref textRef, i)), n - i);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            int nodeBase = nodes.Base;
            // Base + byte stays inside the padded cell array (PieceTrie guarantees it) and j + 1 <= n.
            for (int j = i; j < n; j++)
            {
                int t = nodeBase + Unsafe.Add(ref textRef, j);
                ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                if (cell.Check != node) break;
                node = t;
                nodeBase = cell.Base;
                // Branch-free relax (the outcome is data-dependent and mispredicts): a cell where no piece
                // ends scores -inf, which never beats a holder (and best[] starts at -inf, not below).
                double score = Unsafe.Add(ref scores, t);
                double candidate = score + here;
                ref float holder = ref Unsafe.Add(ref bestRef, j + 1);
                ref int holderBack = ref Unsafe.Add(ref backRef, j + 1);
                bool wins = candidate > holder;
                int mask = -Unsafe.As<bool, byte>(ref wins);
                holderBack = (t & mask) | (holderBack & ~mask);
                holder = (float)double.MaxNative(candidate, holder);
                if (j + 1 - i == charLength) hasSingle = score != double.NegativeInfinity;
            }
            if (!hasSingle)
            {
                float candidate = unknownScore + here; // float + float in spm: a float sum
                ref float holder = ref Unsafe.Add(ref bestRef, i + charLength);
                if (candidate > holder)
                {
                    holder = candidate;
                    Unsafe.Add(ref backRef, i + charLength) = ~charLength;
                }
            }
            i += charLength;
        }

        return Backtrack(model, scratch, n);
    }

    /// <summary>Follows back[] from <paramref name="n"/> (a trie cell, or ~length for an unknown character) into the scratch's path, last first.</summary>
    internal static int Backtrack(SentencePieceModel model, SentencePieceScratch scratch, int n)
    {
        PieceTrie trie = model.Trie;
        int[] back = scratch.Back;
        int count = 0;
        int[] pathIds = scratch.PathIds, pathStarts = scratch.PathStarts, pieceAt = trie.PieceAt, ids = model.TrieIds, lengths = model.TrieLengths;
        int unknownId = model.UnknownId;
        for (int e = n; e > 0;)
        {
            int b = back[e];
            int start;
            if (b >= 0)
            {
                int p = pieceAt[b];
                pathIds[count] = ids[p];
                start = e - lengths[p];
            }
            else
            {
                pathIds[count] = unknownId;
                start = e - ~b;
            }
            pathStarts[count++] = start;
            e = start;
        }
        return count;
    }

    /// <summary>spm's <c>OneCharLen</c>: the sequence length its lead byte announces (a stray continuation byte counts as 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OneCharLength(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
