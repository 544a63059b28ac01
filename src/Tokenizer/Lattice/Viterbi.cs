using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using BytePiece.Lookup;

namespace BytePiece.Lattice;

/// <summary>
/// The most probable segmentation of one chunk. Push-style: from each start i, walk the trie and relax
/// every end i + len. Ends receive their candidates from increasing starts, i.e. longest piece first,
/// and only a strictly greater score replaces the holder: among equal scores the longest last piece
/// wins, which is BytePiece's tie rule. Scores are summed in double as <c>best[s] + logp</c>. Exact ties are common
/// (runs of spaces, quotes, newlines), so a faster walk must keep this order of candidates per end
/// (docs/last-bit-ties.md; the ties are in tests/data/golden/bytepiece/ties.jsonl).
/// </summary>
internal static class Viterbi
{
    private const int PrefetchDistance = 4;

    /// <summary>
    /// Solves the lattice of <paramref name="chunk"/> and writes the path's piece indices, last token first,
    /// into <c>scratch.Path</c>.
    /// </summary>
    /// <returns>The number of tokens.</returns>
    public static int Solve(UnigramModel model, ReadOnlySpan<byte> chunk, LatticeScratch scratch)
    {
        int n = chunk.Length;
        Span<double> best = scratch.Best.AsSpan(0, n + 1);
        best[0] = 0;
        best[1..].Fill(double.NegativeInfinity);
        ProcessStarts(model, chunk, best, scratch.Back.AsSpan(0, n + 1), 0, n);
        return Backtrack(model, scratch, n);
    }

    /// <summary>
    /// Relaxes every piece that starts at a position in [<paramref name="from"/>, <paramref name="to"/>) and
    /// ends within <paramref name="chunk"/> (the bytes available so far). Ends receive candidates in the same order however the starts
    /// are split into calls, so a stream processed in pieces fills exactly the same arrays.
    /// </summary>
    public static void ProcessStarts(UnigramModel model, ReadOnlySpan<byte> chunk, Span<double> best, Span<int> back, int from, int to)
    {
        PieceTrie trie = model.Trie;
        int n = chunk.Length;
        if (best.Length < n + 1 || back.Length < n + 1 || from < 0 || to > n) throw new ArgumentOutOfRangeException(nameof(to));

        // Base + byte is always inside the padded node array (PieceTrie guarantees it), and every
        // j + 1 <= n indexes best/back, so the inner loop runs without bounds checks.
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        ref double scores = ref MemoryMarshal.GetArrayDataReference(trie.Scores);
        ref double bestRef = ref MemoryMarshal.GetReference(best);
        ref int backRef = ref MemoryMarshal.GetReference(back);
        ref byte text = ref MemoryMarshal.GetReference(chunk);
        for (int i = from; i < to; i++)
        {
            // The walk is a chain of dependent loads; start fetching the depth-2 cell of a later walk
            // now (the root's children are always cached) so that its first miss overlaps this walk.
            if (Sse.IsSupported && i + PrefetchDistance + 1 < n)
            {
                int child = nodes.Base + Unsafe.Add(ref text, i + PrefetchDistance);
                int grandchild = Unsafe.Add(ref nodes, child).Base + Unsafe.Add(ref text, i + PrefetchDistance + 1);
                unsafe { Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref nodes, grandchild))); }
            }
            double bi = Unsafe.Add(ref bestRef, i);
            int node = PieceTrie.Root;
            int nodeBase = nodes.Base;
            for (int j = i; j < n; j++)
            {
                int t = nodeBase + Unsafe.Add(ref text, j);
                ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                if (cell.Check != node) break;
                node = t;
                nodeBase = cell.Base;
                // Branch-free relax: whether a candidate wins is data-dependent and mispredicts often.
                double candidate = bi + Unsafe.Add(ref scores, t);
                ref double holder = ref Unsafe.Add(ref bestRef, j + 1);
                ref int holderBack = ref Unsafe.Add(ref backRef, j + 1);
                bool wins = candidate > holder;
                int mask = -Unsafe.As<bool, byte>(ref wins);
                holderBack = (t & mask) | (holderBack & ~mask);
                holder = double.MaxNative(candidate, holder);
            }
        }
    }

    /// <summary>Follows the back nodes from <paramref name="n"/> to 0, writing the piece indices into Path (last first).</summary>
    internal static int Backtrack(UnigramModel model, LatticeScratch scratch, int n)
    {
        int[] back = scratch.Back;
        int[] path = scratch.Path;
        int[] pieceAt = model.Trie.PieceAt;
        int count = 0;
        int e = n;
        while (e > 0)
        {
            int piece = pieceAt[back[e]];
            path[count++] = piece;
            e -= model.PieceLength(piece);
        }
        return count;
    }
}
