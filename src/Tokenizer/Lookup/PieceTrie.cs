using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BytePiece.Training;

namespace BytePiece.Lookup;

/// <summary>One cell of the double array: child of node s on byte c is t = Base(s) + c when Check(t) == s.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TrieNode
{
    /// <summary>Offset of this node's children; 0 for a leaf.</summary>
    public int Base;

    /// <summary>Parent node index; -1 for a free cell, -2 for the root.</summary>
    public int Check;
}

/// <summary>
/// A cell of the double array with the score of the piece ending there (-infinity when none): a successful
/// step of the Viterbi walk reads one 16-byte cell, one cache line, instead of a node and a score in two arrays.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ScoredNode
{
    /// <summary>As <see cref="TrieNode.Base"/>.</summary>
    public int Base;

    /// <summary>As <see cref="TrieNode.Check"/>.</summary>
    public int Check;

    /// <summary>As <see cref="PieceTrie.Scores"/> at this cell.</summary>
    public double Score;
}

/// <summary>
/// A double-array trie over piece bytes, built once per model. Base and check share one 8-byte cell, so
/// the walk (a chain of dependent loads) touches one compact array; scores live in a parallel array
/// read only when a step succeeds. The arrays are padded so that <c>Base + byte</c> is always in
/// range, which lets the hot loop skip bounds checks safely.
/// </summary>
internal sealed class PieceTrie
{
    public const int Root = 0;
    private const int FreeCell = -1;
    private const int RootCheck = -2;

    internal readonly TrieNode[] Nodes;

    /// <summary>Score of the piece ending at each cell, or -infinity when none ends there.</summary>
    internal readonly double[] Scores;

    /// <summary>Piece index of the piece ending at each cell, or -1.</summary>
    internal readonly int[] PieceAt;

    private ScoredNode[]? _scoredNodes;

    /// <summary>
    /// <see cref="Nodes"/> and <see cref="Scores"/> interleaved, made on first use (only the Viterbi walk reads it;
    /// a race builds equal copies).
    /// </summary>
    internal ScoredNode[] ScoredNodes => _scoredNodes ??= BuildScoredNodes();

    private ScoredNode[] BuildScoredNodes()
    {
        var cells = new ScoredNode[Nodes.Length];
        for (int c = 0; c < cells.Length; c++) cells[c] = new ScoredNode { Base = Nodes[c].Base, Check = Nodes[c].Check, Score = Scores[c] };
        return cells;
    }

    private PieceTrie(TrieNode[] nodes, double[] scores, int[] pieceAt)
    {
        Nodes = nodes;
        Scores = scores;
        PieceAt = pieceAt;
    }

    /// <summary>
    /// An upper bound on the cells of a trie that <see cref="Build(byte[], int[], double[], out ValueTuple{int, int})"/>
    /// makes over pieces of <paramref name="pieceBytes"/> bytes in all: a node per byte at most, the holes
    /// the placement leaves, and the padding. A stored trie beyond it is refused; the tests hold the builder to it.
    /// </summary>
    internal static long MaxCells(long pieceBytes) => 2 * pieceBytes + 4096;

    /// <summary>Number of cells (including free cells and padding).</summary>
    public int CellCount => Nodes.Length;

    /// <summary>
    /// Builds the trie over pieces given as <paramref name="offsets"/> into <paramref name="bytes"/>
    /// (piece i is <c>bytes[offsets[i]..offsets[i+1]]</c>). Pieces must be non-empty.
    /// </summary>
    /// <returns>The trie, or null with the indices of two equal pieces in <paramref name="duplicate"/>.</returns>
    public static PieceTrie? Build(byte[] bytes, int[] offsets, double[] scores, out (int First, int Second) duplicate)
        => Build<byte>(bytes, offsets, scores, 256, out duplicate);

    /// <summary>
    /// The same over any alphabet: piece i is the label sequence <c>labels[offsets[i]..offsets[i+1]]</c>, each
    /// label in [0, <paramref name="alphabet"/>); the cells are padded so that <c>Base + label</c> is always in range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per model: no tier-0 pass over every piece
    public static PieceTrie? Build<TLabel>(TLabel[] labels, int[] offsets, double[] scores, int alphabet, out (int First, int Second) duplicate)
        where TLabel : unmanaged, IBinaryInteger<TLabel> // bytes as they are: no int copy of every piece byte
    {
        int count = offsets.Length - 1;
        var builder = new Builder(count, alphabet, labels.Length);
        int[] order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        var scratch = new SortScratch(count);

        // Breadth-first: the upper levels, which every lookup touches, end up dense and near the start.
        var queue = new Queue<(int Lo, int Hi, int Depth, int Node)>();
        builder.Use(Root);
        builder.Nodes[Root].Check = RootCheck;
        if (count > 0) queue.Enqueue((0, count, 0, Root));
        var childLabels = new int[alphabet];
        var starts = new int[alphabet + 1];
        while (queue.Count > 0)
        {
            var (lo, hi, depth, node) = queue.Dequeue();

            // The piece that ends at this node (length == depth), if any, goes first.
            int child = lo;
            for (int k = lo; k < hi; k++)
            {
                int p = order[k];
                if (offsets[p + 1] - offsets[p] != depth) continue;
                if (child != lo)
                {
                    duplicate = (order[lo], p);
                    return null;
                }
                (order[lo], order[k]) = (order[k], order[lo]);
                builder.PieceAt[node] = p;
                child = lo + 1;
            }
            if (child == hi) continue;

            SortByLabel(labels, offsets, order.AsSpan(child, hi - child), scratch, depth, alphabet);
            int labelCount = 0;
            for (int k = child; k < hi; k++)
            {
                int c = int.CreateTruncating(labels[offsets[order[k]] + depth]);
                if (labelCount == 0 || childLabels[labelCount - 1] != c)
                {
                    childLabels[labelCount] = c;
                    starts[labelCount] = k;
                    labelCount++;
                }
            }
            starts[labelCount] = hi;

            int b = builder.FindBase(childLabels.AsSpan(0, labelCount));
            builder.Nodes[node].Base = b;
            for (int j = 0; j < labelCount; j++)
            {
                int t = b + childLabels[j];
                builder.Use(t);
                builder.Nodes[t].Check = node;
                queue.Enqueue((starts[j], starts[j + 1], depth + 1, t));
            }
        }
        duplicate = default;
        return builder.Finish(scores);
    }

    /// <summary>
    /// Adopts stored trie arrays (from a native model file). With <paramref name="verify"/>, after checking
    /// everything the hot loop and the lookups rely on: every base leaves room for any byte, every check and
    /// piece index is in range, and the trie holds exactly the given pieces, each at its own cell. Without it,
    /// as they are: only for the embedded default model, which a test loads both ways and finds equal.
    /// </summary>
    /// <returns>The trie, or null with what is wrong in <paramref name="error"/>.</returns>
    public static PieceTrie? FromArrays(TrieNode[] nodes, int[] pieceAt, byte[] bytes, int[] offsets, double[] scores, bool verify, out string? error)
    {
        error = verify ? Verify(nodes, pieceAt, bytes, offsets) : null;
        return error is null ? new PieceTrie(nodes, CellScores(pieceAt, scores), pieceAt) : null;
    }

    /// <summary>Each piece's score at the cell that names it (its walk ends there), -infinity at every other cell.</summary>
    private static double[] CellScores(int[] pieceAt, double[] pieceScores)
    {
        var scores = new double[pieceAt.Length];
        for (int c = 0; c < scores.Length; c++) scores[c] = pieceAt[c] >= 0 ? pieceScores[pieceAt[c]] : double.NegativeInfinity;
        return scores;
    }

    /// <summary>What is wrong with stored arrays for the pieces, or null when nothing is.</summary>
    private static string? Verify(TrieNode[] nodes, int[] pieceAt, byte[] bytes, int[] offsets)
    {
        int cells = nodes.Length, pieces = offsets.Length - 1;
        if (cells < 257 || pieceAt.Length != cells || nodes[Root].Check != RootCheck)
            return $"the stored trie has {cells} cells and a {(cells > 0 ? nodes[Root].Check : 0)} root check";
        int terminals = 0;
        for (int c = 0; c < cells; c++)
        {
            TrieNode node = nodes[c];
            if ((uint)node.Base > (uint)(cells - 256) || node.Check < RootCheck || node.Check >= cells || pieceAt[c] < -1 || pieceAt[c] >= pieces)
                return $"the stored trie's cell {c} is out of range (base {node.Base}, check {node.Check}, piece {pieceAt[c]})";
            if (pieceAt[c] >= 0) terminals++;
        }
        if (terminals != pieces)
            return $"the stored trie marks {terminals} cells as pieces, but the model has {pieces} pieces";
        var unscored = new PieceTrie(nodes, [], pieceAt);
        for (int p = 0; p < pieces; p++)
        {
            int cell = unscored.Walk(Root, bytes.AsSpan(offsets[p], offsets[p + 1] - offsets[p]));
            if (cell < 0 || pieceAt[cell] != p) return $"the stored trie does not lead to piece {p} (id order) at its own cell";
        }
        return null;
    }

    /// <summary>Piece index of exactly <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key)
    {
        int node = Walk(Root, key);
        return node < 0 ? -1 : PieceAt[node];
    }

    /// <summary>Length of the longest piece that prefixes <paramref name="text"/>, or 0.</summary>
    public int LongestPrefix(ReadOnlySpan<byte> text)
    {
        TrieNode[] nodes = Nodes;
        int node = Root, longest = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int t = nodes[node].Base + text[i];
            if (nodes[t].Check != node) break;
            node = t;
            if (PieceAt[t] >= 0) longest = i + 1;
        }
        return longest;
    }

    /// <summary>The node reached from <paramref name="node"/> over <paramref name="key"/>, or -1.</summary>
    public int Walk(int node, ReadOnlySpan<byte> key)
    {
        TrieNode[] nodes = Nodes;
        foreach (byte c in key)
        {
            int t = nodes[node].Base + c;
            if (nodes[t].Check != node) return -1;
            node = t;
        }
        return node;
    }

    /// <summary>Sorts piece indices by their label at <paramref name="depth"/> (all are longer than depth).</summary>
    private static void SortByLabel<TLabel>(TLabel[] labels, int[] offsets, Span<int> items, SortScratch scratch, int depth, int alphabet)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        if (items.Length <= 32)
        {
            for (int i = 1; i < items.Length; i++)
            {
                int p = items[i];
                int key = int.CreateTruncating(labels[offsets[p] + depth]);
                int j = i - 1;
                while (j >= 0 && int.CreateTruncating(labels[offsets[items[j]] + depth]) > key)
                {
                    items[j + 1] = items[j];
                    j--;
                }
                items[j + 1] = p;
            }
            return;
        }
        if (alphabet > 256)
        {
            // Large alphabets (characters): count only the labels present, then place stably.
            int[] count = scratch.LabelCounts ??= new int[alphabet];
            var present = new List<int>();
            foreach (int p in items)
                if (count[int.CreateTruncating(labels[offsets[p] + depth])]++ == 0) present.Add(int.CreateTruncating(labels[offsets[p] + depth]));
            present.Sort();
            int at = 0;
            foreach (int label in present)
            {
                int c = count[label];
                count[label] = at; // now the next slot of this label
                at += c;
            }
            Span<int> placed = scratch.Items.AsSpan(0, items.Length);
            foreach (int p in items) placed[count[int.CreateTruncating(labels[offsets[p] + depth])]++] = p;
            foreach (int label in present) count[label] = 0;
            placed.CopyTo(items);
            return;
        }
        Span<int> counts = stackalloc int[257];
        counts.Clear();
        foreach (int p in items) counts[int.CreateTruncating(labels[offsets[p] + depth]) + 1]++;
        for (int c = 1; c <= 256; c++) counts[c] += counts[c - 1];
        Span<int> tmp = scratch.Items.AsSpan(0, items.Length);
        foreach (int p in items) tmp[counts[int.CreateTruncating(labels[offsets[p] + depth])]++] = p;
        tmp.CopyTo(items);
    }

    private sealed class SortScratch(int pieces)
    {
        public readonly int[] Items = new int[pieces];
        public int[]? LabelCounts;
    }

    /// <summary>Growable cell arrays plus a bitmap of used cells for fast free-slot search.</summary>
    private sealed class Builder
    {
        public TrieNode[] Nodes;
        public int[] PieceAt;
        private ulong[] _used;
        private int _firstFree;
        private int _firstFreeHigh = LowCells; // the first free cell at or above LowCells
        private int _maxUsed;

        // Below this, free cells can be left over that few bases can use (a base is at least 1, so cell >= label + 1).
        private const int LowCells = 256;

        private readonly int _alphabet;

        // The cells a trie over these labels is expected to need at most (a node per label, holes, padding).
        private readonly long _expected;

        public Builder(int pieceCount, int alphabet, int labels)
        {
            _alphabet = alphabet;
            _expected = labels + 2L * alphabet + 1024;
            int capacity = Math.Max(1024, pieceCount * 2);
            Nodes = new TrieNode[capacity];
            PieceAt = new int[capacity];
            _used = new ulong[capacity / 64 + 1];
            Init(0, capacity);
        }

        private void Init(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                Nodes[i] = new TrieNode { Base = 0, Check = FreeCell };
                PieceAt[i] = -1;
            }
        }

        private void Ensure(int cell)
        {
            if (cell < Nodes.Length) return;
            int old = Nodes.Length;
            // Doubling, but not far past what the labels can need: long pieces would otherwise overshoot by up to 2x.
            int size = (int)Math.Min(Array.MaxLength, Math.Max(Math.Min(old * 2L, _expected), cell + 1L));
            Array.Resize(ref Nodes, size);
            Array.Resize(ref PieceAt, size);
            Array.Resize(ref _used, size / 64 + 1);
            Init(old, size);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool IsFree(int cell) => cell >= Nodes.Length || (_used[cell >> 6] & (1UL << cell)) == 0;

        public void Use(int cell)
        {
            Ensure(cell);
            _used[cell >> 6] |= 1UL << cell;
            if (cell > _maxUsed) _maxUsed = cell;
            if (cell == _firstFree) _firstFree = NextFree(cell + 1);
            if (cell == _firstFreeHigh) _firstFreeHigh = NextFree(cell + 1);
        }

        /// <summary>
        /// The first free cell at or after <paramref name="cell"/> (as <see cref="NextFree"/>), without
        /// rescanning the packed region: a leftover free cell low down would otherwise send every search
        /// through all the used cells after it, which made builds quadratic.
        /// </summary>
        private int FirstFreeFrom(int cell)
        {
            for (; cell < LowCells; cell++)
                if (IsFree(cell)) return cell;
            return NextFree(Math.Max(cell, _firstFreeHigh));
        }

        /// <summary>The first free cell at or after <paramref name="cell"/>.</summary>
        private int NextFree(int cell)
        {
            int word = cell >> 6;
            if (word >= _used.Length) return cell;
            ulong bits = ~_used[word] & (ulong.MaxValue << (cell & 63));
            while (bits == 0)
            {
                word++;
                if (word >= _used.Length) return word << 6;
                bits = ~_used[word];
            }
            return (word << 6) + BitOperations.TrailingZeroCount(bits);
        }

        /// <summary>The smallest base >= 1 whose child cells for all <paramref name="labels"/> are free.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int FindBase(ReadOnlySpan<int> labels)
        {
            int first = labels[0];
            if (_alphabet > 256 && labels.Length > 4)
            {
                // Over characters a node's labels spread over thousands of cells: placed after the used
                // cells, each such node would add that spread to the array. So first a bounded first-fit
                // search through the holes (bounded, so the build stays linear).
                int candidate = FirstFreeFrom(Math.Max(_firstFree, first + 1));
                for (int tries = 0; tries < 4096 && candidate - first + labels[^1] <= _maxUsed; tries++)
                {
                    if (Fits(candidate - first, labels)) return candidate - first;
                    candidate = FirstFreeFrom(candidate + 1);
                }
            }
            // Wide nodes rarely fit into the scattered holes of the packed region: searching them there
            // makes the build quadratic, so they start near the end of the used cells.
            int from = labels.Length > 4 ? Math.Max(_firstFree, _maxUsed - 1024) : _firstFree;
            int cell = FirstFreeFrom(Math.Max(from, first + 1));
            while (true)
            {
                int b = cell - first;
                bool fits = true;
                for (int j = 1; j < labels.Length; j++)
                {
                    if (!IsFree(b + labels[j])) { fits = false; break; }
                }
                if (fits) return b;
                cell = FirstFreeFrom(cell + 1);
            }
        }

        private bool Fits(int b, ReadOnlySpan<int> labels)
        {
            foreach (int label in labels) if (!IsFree(b + label)) return false;
            return true;
        }

        /// <summary>The trie, with each piece's score at its cell (kept out of the build: one array fewer to grow).</summary>
        public PieceTrie Finish(double[] pieceScores)
        {
            // Pad so that Base + label (Base <= _maxUsed, label < alphabet) is always a valid index.
            int length = _maxUsed + 1 + _alphabet;
            if (Nodes.Length < length) Ensure(length - 1);
            Array.Resize(ref Nodes, length);
            Array.Resize(ref PieceAt, length);
            return new PieceTrie(Nodes, CellScores(PieceAt, pieceScores), PieceAt);
        }
    }
}
