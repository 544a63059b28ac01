using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BytePiece.Lookup;

namespace BytePiece.Lattice;

/// <summary>Receives the edges of spm's lattice as <see cref="SentencePieceLattice.Walk"/> finds them.</summary>
internal interface ISentencePieceEdges
{
    /// <summary>
    /// What <see cref="Step"/> is handed per cell of <paramref name="trie"/> (the trie the walk takes): a value for
    /// every cell where a piece ends (its lattice score, or anything the receiver derives from it) and a value
    /// for which <see cref="IsPiece"/> is false elsewhere. Asked once per walk.
    /// </summary>
    double[] CellValues(PieceTrie trie);

    /// <summary>Whether a value of <see cref="CellValues"/> belongs to a cell where a piece ends.</summary>
    bool IsPiece(double value);

    /// <summary>
    /// Before the edges that start at <paramref name="start"/> (a character start, in increasing order): the
    /// value the walk hands back with each of them (the value there; kept in a register by the walk).
    /// <paramref name="carried"/> is that value as the last relaxation of <paramref name="start"/> returned
    /// it (0 at the text's start): final by then, since no later start relaxes it.
    /// </summary>
    double Start(int start, double carried);

    /// <summary>
    /// A trie step from <paramref name="start"/> to <paramref name="end"/>: <paramref name="value"/> is the
    /// <see cref="CellValues"/> entry of <paramref name="cell"/>, a piece's or a no-piece value (steps that end
    /// no piece are reported too, so that a receiver can relax without a branch).
    /// </summary>
    /// <returns>The value at <paramref name="end"/> after the step (what <see cref="Start"/> is carried).</returns>
    double Step(int start, int end, int cell, double value, double here);

    /// <summary>The unknown node of one character (<paramref name="start"/> to <paramref name="end"/>), where no one-character piece starts.</summary>
    /// <returns>The value at <paramref name="end"/> after it.</returns>
    double Unknown(int start, int end, double here);
}

/// <summary>Which walk <see cref="SentencePieceLattice.Walk"/> takes (the same edges either way; for tests and benchmarks).</summary>
internal enum SentencePieceWalk { Auto, Bytes, Characters }

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
    /// Valid UTF-8 (all that spm's normalizer writes) is walked a character per step over
    /// <see cref="SentencePieceModel.CharTrie"/>; anything else byte by byte over <see cref="SentencePieceModel.Trie"/>,
    /// as spm does. Both meet the same edges in the same order (no piece of a valid-UTF-8 text's lattice
    /// ends inside a character), so the results are identical.
    /// </summary>
    /// <returns>The trie whose cells the edges named (for <see cref="Backtrack"/>).</returns>
    [SkipLocalsInit]
    public static PieceTrie Walk<TEdges>(SentencePieceModel model, ReadOnlySpan<byte> text, TEdges edges, SentencePieceWalk walk = SentencePieceWalk.Auto)
        where TEdges : ISentencePieceEdges, allows ref struct
    {
        int n = text.Length;
        // The character walk saves the steps inside multi-byte characters but labels the text first; on
        // text that is mostly ASCII (fewer than one character start in five bytes beginning a multi-byte
        // character) the labelling costs more than it saves, and the byte walk stays.
        if (n > 0 && walk != SentencePieceWalk.Bytes && (walk == SentencePieceWalk.Characters || CountLeadBytes(text) * 5 >= n) && model.CharTrie is { } charTrie)
        {
            int[]? rented = null;
            Span<int> buffer = n <= 1024 ? stackalloc int[2 * n] : (rented = ArrayPool<int>.Shared.Rent(2 * n));
            try
            {
                Span<int> labels = buffer[..n], ends = buffer.Slice(n, n);
                if (model.Chars!.TryLabel(text, labels, ends, out int count))
                {
                    WalkChars(charTrie, labels[..count], ends, edges);
                    return charTrie;
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<int>.Shared.Return(rented);
            }
        }
        WalkBytes(model.Trie, model.SpaceCell, text, edges);
        return model.Trie;
    }

    /// <summary>How many bytes of <paramref name="text"/> are 0xC0 or above (lead bytes of multi-byte characters).</summary>
    private static int CountLeadBytes(ReadOnlySpan<byte> text)
    {
        int count = 0, i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<byte> limit = Vector128.Create((byte)0xBF);
            for (; i + 16 <= text.Length; i += 16)
                count += BitOperations.PopCount(Vector128.GreaterThan(Vector128.Create(text.Slice(i, 16)), limit).ExtractMostSignificantBits());
        }
        for (; i < text.Length; i++) if (text[i] >= 0xC0) count++;
        return count;
    }

    /// <summary>The walk over characters: <paramref name="labels"/> and <paramref name="ends"/> (byte offsets) per character.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WalkChars<TEdges>(PieceTrie trie, ReadOnlySpan<int> labels, ReadOnlySpan<int> ends, TEdges edges)
        where TEdges : ISentencePieceEdges, allows ref struct
    {
        int count = labels.Length;
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        ref double values = ref MemoryMarshal.GetArrayDataReference(edges.CellValues(trie));
        ref int labelRef = ref MemoryMarshal.GetReference(labels);
        ref int endRef = ref MemoryMarshal.GetReference(ends);
        int start = 0;
        double carried = 0;
        for (int c = 0; c < count; c++)
        {
            // The next start is this character's end, whose value the single-character step or the unknown returns.
            double here = edges.Start(start, carried);
            int charEnd = Unsafe.Add(ref endRef, c);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            // Base + label stays inside the padded cell array (labels are below the alphabet's size).
            int t = nodes.Base + Unsafe.Add(ref labelRef, c);
            if (Unsafe.Add(ref nodes, t).Check == node)
            {
                // The first step is the character itself: whether a piece ends there decides the unknown node.
                double single = Unsafe.Add(ref values, t);
                carried = edges.Step(start, charEnd, t, single, here);
                hasSingle = edges.IsPiece(single);
                node = t;
                int nodeBase = Unsafe.Add(ref nodes, t).Base;
                for (int d = c + 1; d < count; d++)
                {
                    t = nodeBase + Unsafe.Add(ref labelRef, d);
                    ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                    if (cell.Check != node) break;
                    node = t;
                    nodeBase = cell.Base;
                    edges.Step(start, Unsafe.Add(ref endRef, d), t, Unsafe.Add(ref values, t), here);
                }
            }
            if (!hasSingle) carried = edges.Unknown(start, charEnd, here);
            start = charEnd;
        }
    }

    /// <summary>spm's own walk, a byte per step from every character start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WalkBytes<TEdges>(PieceTrie trie, int spaceCell, ReadOnlySpan<byte> text, TEdges edges)
        where TEdges : ISentencePieceEdges, allows ref struct
    {
        int n = text.Length;
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        ref double values = ref MemoryMarshal.GetArrayDataReference(edges.CellValues(trie));
        ref byte textRef = ref MemoryMarshal.GetReference(text);
        double carried = 0;
        for (int i = 0; i < n;)
        {
            // The next start is this character's end, whose value its last own step or the unknown returns
            // (carried in a register: no store-to-load round trip on the chain from start to start).
            double here = edges.Start(i, carried);
            int charEnd = Math.Min(i + OneCharLength(Unsafe.Add(ref textRef, i)), n);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            int nodeBase = nodes.Base;
            int j = i;
            // Base + byte stays inside the padded cell array (PieceTrie guarantees it) and j + 1 <= n.
            // The character's own bytes first: whether a piece ends with them decides the unknown node,
            // so the rest of the walk need not ask at every step. U+2581 (a word's start) jumps to its
            // cell: the two steps inside it end no piece, so only their dependent loads are saved.
            if (charEnd - i == 3 && spaceCell >= 0
                && ((Unsafe.Add(ref textRef, i) ^ 0xE2) | (Unsafe.Add(ref textRef, i + 1) ^ 0x96) | (Unsafe.Add(ref textRef, i + 2) ^ 0x81)) == 0)
            {
                node = spaceCell;
                nodeBase = Unsafe.Add(ref nodes, node).Base;
                j = charEnd;
                carried = edges.Step(i, j, node, Unsafe.Add(ref values, node), here);
            }
            else
            {
                do
                {
                    int t = nodeBase + Unsafe.Add(ref textRef, j);
                    ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                    if (cell.Check != node) goto Done;
                    node = t;
                    nodeBase = cell.Base;
                    carried = edges.Step(i, ++j, t, Unsafe.Add(ref values, t), here);
                }
                while (j < charEnd);
            }
            hasSingle = edges.IsPiece(Unsafe.Add(ref values, node));
            for (; j < n; j++)
            {
                int t = nodeBase + Unsafe.Add(ref textRef, j);
                ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                if (cell.Check != node) break;
                node = t;
                nodeBase = cell.Base;
                edges.Step(i, j + 1, t, Unsafe.Add(ref values, t), here);
            }
        Done:
            if (!hasSingle) carried = edges.Unknown(i, charEnd, here);
            i = charEnd;
        }
    }

    /// <summary>spm's <c>OneCharLen</c>: the sequence length its lead byte announces (a stray continuation byte counts as 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OneCharLength(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    /// <summary>What back[end] holds for the edge that won it: its start (high half) and its trie cell, or -1 for an unknown.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long BackEntry(int start, int cell) => ((long)start << 32) | (uint)cell;

    /// <summary>
    /// Follows the positions' back entries (<see cref="BackEntry"/>s; the cells are of <c>scratch.BackTrie</c>, the trie the walk
    /// used) from <paramref name="n"/> into the scratch's path, last first. Each step needs only the entry's
    /// start, so the chain of dependent loads is one per token; the piece lookups overlap it.
    /// </summary>
    public static int Backtrack(SentencePieceModel model, SentencePieceScratch scratch, int n)
    {
        LatticePosition[] positions = scratch.Positions;
        int[] pathIds = scratch.PathIds, pathStarts = scratch.PathStarts;
        int[] pieceAt = scratch.BackTrie!.PieceAt, ids = model.TrieIds;
        int unknown = model.UnknownId;
        int count = 0;
        for (int e = n; e > 0;)
        {
            long b = positions[e].Back;
            int start = (int)(b >> 32), cell = (int)b;
            pathIds[count] = cell >= 0 ? ids[pieceAt[cell]] : unknown;
            pathStarts[count++] = start;
            e = start;
        }
        return count;
    }
}
