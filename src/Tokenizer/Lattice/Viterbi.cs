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
        ref ScoredNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.ScoredNodes);
        ref double bestRef = ref MemoryMarshal.GetReference(best);
        ref int backRef = ref MemoryMarshal.GetReference(back);
        ref byte text = ref MemoryMarshal.GetReference(chunk);
        int rootBase = nodes.Base;
        int i = from;
        for (; i + 1 < to; i += 2)
        {
            // The walk is a chain of dependent loads; start fetching the depth-2 cells of later walks
            // now (the root's children are always cached) so that their first misses overlap these walks.
            if (Sse.IsSupported && i + PrefetchDistance + 2 < n)
            {
                int child = rootBase + Unsafe.Add(ref text, i + PrefetchDistance);
                int grandchild = Unsafe.Add(ref nodes, child).Base + Unsafe.Add(ref text, i + PrefetchDistance + 1);
                unsafe { Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref nodes, grandchild))); }
                child = rootBase + Unsafe.Add(ref text, i + PrefetchDistance + 1);
                grandchild = Unsafe.Add(ref nodes, child).Base + Unsafe.Add(ref text, i + PrefetchDistance + 2);
                unsafe { Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref nodes, grandchild))); }
            }

            // Two walks, from i (a) and i + 1 (b), share a loop so that their loads overlap. A takes its first
            // step alone, which makes best[i + 1] final; then in each round both probe the same byte j and
            // relax the same end j + 1, a before b, so every end still hears its candidates by increasing start.
            double biA = Unsafe.Add(ref bestRef, i);
            int tA = rootBase + Unsafe.Add(ref text, i);
            ref ScoredNode first = ref Unsafe.Add(ref nodes, tA);
            if (first.Check != PieceTrie.Root)
            {
                Walk(ref nodes, ref text, ref bestRef, ref backRef, n, i + 1, PieceTrie.Root, rootBase);
                continue;
            }
            Relax(ref bestRef, ref backRef, i + 1, biA + first.Score, tA);
            int nodeA = tA, baseA = first.Base;
            double biB = Unsafe.Add(ref bestRef, i + 1);
            int nodeB = PieceTrie.Root, baseB = rootBase;
            int j = i + 1;
            for (; j < n; j++)
            {
                int c = Unsafe.Add(ref text, j);
                int ta = baseA + c, tb = baseB + c;
                ref ScoredNode cellA = ref Unsafe.Add(ref nodes, ta);
                ref ScoredNode cellB = ref Unsafe.Add(ref nodes, tb);
                if (cellA.Check != nodeA)
                {
                    Walk(ref nodes, ref text, ref bestRef, ref backRef, n, j, nodeB, baseB, biB);
                    break;
                }
                nodeA = ta;
                baseA = cellA.Base;
                Relax(ref bestRef, ref backRef, j + 1, biA + cellA.Score, ta);
                if (cellB.Check != nodeB)
                {
                    Walk(ref nodes, ref text, ref bestRef, ref backRef, n, j + 1, nodeA, baseA, biA);
                    break;
                }
                nodeB = tb;
                baseB = cellB.Base;
                Relax(ref bestRef, ref backRef, j + 1, biB + cellB.Score, tb);
            }
        }
        if (i < to) Walk(ref nodes, ref text, ref bestRef, ref backRef, n, i, PieceTrie.Root, rootBase);
    }

    /// <summary>
    /// Continues one walk alone: it stands at <paramref name="node"/> before byte <paramref name="j"/>, and its start's
    /// best score is <paramref name="bi"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Walk(ref ScoredNode nodes, ref byte text, ref double bestRef, ref int backRef, int n, int j, int node, int nodeBase, double bi)
    {
        for (; j < n; j++)
        {
            int t = nodeBase + Unsafe.Add(ref text, j);
            ref ScoredNode cell = ref Unsafe.Add(ref nodes, t);
            if (cell.Check != node) break;
            node = t;
            nodeBase = cell.Base;
            Relax(ref bestRef, ref backRef, j + 1, bi + cell.Score, t);
        }
    }

    /// <summary>A walk from the root at <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Walk(ref ScoredNode nodes, ref byte text, ref double bestRef, ref int backRef, int n, int start, int root, int rootBase)
        => Walk(ref nodes, ref text, ref bestRef, ref backRef, n, start, root, rootBase, Unsafe.Add(ref bestRef, start));

    /// <summary>Offers <paramref name="candidate"/> (the path through cell <paramref name="t"/>) to end <paramref name="end"/>; only a strictly greater score replaces the holder.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Relax(ref double bestRef, ref int backRef, int end, double candidate, int t)
    {
        // Branch-free: whether a candidate wins is data-dependent and mispredicts often.
        ref double holder = ref Unsafe.Add(ref bestRef, end);
        ref int holderBack = ref Unsafe.Add(ref backRef, end);
        bool wins = candidate > holder;
        int mask = -Unsafe.As<bool, byte>(ref wins);
        holderBack = (t & mask) | (holderBack & ~mask);
        holder = double.MaxNative(candidate, holder);
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
