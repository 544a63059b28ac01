using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BytePiece;

/// <summary>Receives the edges of spm's lattice as <see cref="SentencePieceLattice.Walk"/> finds them.</summary>
internal interface ISentencePieceEdges
{
    /// <summary>
    /// Before the edges that start at <paramref name="start"/> (a character start, in increasing order): the
    /// value the walk hands back with each of them (the forward value there; kept in a register by the walk).
    /// </summary>
    double Start(int start);

    /// <summary>
    /// A trie step from the current start to <paramref name="end"/>: <paramref name="score"/> is the lattice
    /// score of the piece ending at <paramref name="cell"/>, or -infinity where no piece ends (reported too,
    /// so that a receiver can relax without a branch).
    /// </summary>
    void Step(int end, int cell, double score, double here);

    /// <summary>The unknown node of one character (<paramref name="length"/> bytes), where no one-character piece starts.</summary>
    void Unknown(int end, int length, double here);
}

/// <summary>
/// spm's lattice over normalized text, walked without being stored (unigram_model.cc): starts only at
/// character starts (the lead-byte length table), every trie piece from each start by increasing end,
/// then an unknown node of one character where no one-character piece starts. Viterbi, the sampler and
/// the explicit graph all take their edges from here, so they agree on the lattice by construction.
/// </summary>
internal static class SentencePieceLattice
{
    /// <summary>
    /// Hands every edge to <paramref name="edges"/>. It is taken by value, so that a struct receiver's
    /// fields (refs to its arrays) live in registers instead of being reloaded after every store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Walk<TEdges>(SentencePieceModel model, ReadOnlySpan<byte> text, TEdges edges)
        where TEdges : ISentencePieceEdges, allows ref struct
    {
        int n = text.Length;
        PieceTrie trie = model.Trie;
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        ref double scores = ref MemoryMarshal.GetArrayDataReference(trie.Scores);
        ref byte textRef = ref MemoryMarshal.GetReference(text);
        for (int i = 0; i < n;)
        {
            double here = edges.Start(i);
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
                double score = Unsafe.Add(ref scores, t);
                edges.Step(j + 1, t, score, here);
                if (j + 1 - i == charLength) hasSingle = score != double.NegativeInfinity;
            }
            if (!hasSingle) edges.Unknown(i + charLength, charLength, here);
            i += charLength;
        }
    }

    /// <summary>spm's <c>OneCharLen</c>: the sequence length its lead byte announces (a stray continuation byte counts as 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OneCharLength(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    /// <summary>Follows back[] from <paramref name="n"/> (a trie cell, or ~length for an unknown character) into the scratch's path, last first.</summary>
    public static int Backtrack(SentencePieceModel model, SentencePieceScratch scratch, int n)
    {
        int[] back = scratch.Back, pathIds = scratch.PathIds, pathStarts = scratch.PathStarts;
        int[] pieceAt = model.Trie.PieceAt, ids = model.TrieIds, lengths = model.TrieLengths;
        int count = 0;
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
                pathIds[count] = model.UnknownId;
                start = e - ~b;
            }
            pathStarts[count++] = start;
            e = start;
        }
        return count;
    }
}
