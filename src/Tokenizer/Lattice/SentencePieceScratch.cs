namespace BytePiece;

/// <summary>
/// Per-thread working memory for one SentencePiece sentence: the normalized text with its offset map,
/// the lattice arrays (best score and back cell per end position), the path and the output tokens.
/// A cached instance is reused; arrays grown by a huge input are dropped afterwards.
/// </summary>
internal sealed class SentencePieceScratch
{
    private const int KeepLimit = 1 << 20;

    [ThreadStatic] private static SentencePieceScratch? t_cached;

    public readonly NormalizedBuffer Normalized = new();
    public float[] Best = [];
    /// <summary>Per end position, the winning edge as <see cref="SentencePieceLattice.BackEntry"/>.</summary>
    public long[] Back = [];
    public int[] PathIds = [];

    /// <summary>The trie whose cells <see cref="Back"/> holds (the lattice walks characters or bytes).</summary>
    public PieceTrie? BackTrie;
    public int[] PathStarts = [];

    /// <summary>Output tokens after unknown merging or byte fallback: id, original start and end, normalized start and end.</summary>
    public int[] OutIds = [], OutStarts = [], OutEnds = [], OutNormStarts = [], OutNormEnds = [];

    private double[] _forward = [];

    /// <summary>The sampler's forward values, allocated only when sampling needs them.</summary>
    public Span<double> ForwardFor(int size)
    {
        if (_forward.Length < size) _forward = new double[Math.Max(size, Best.Length)];
        return _forward.AsSpan(0, size);
    }

    public static SentencePieceScratch Rent()
    {
        SentencePieceScratch scratch = t_cached ?? new SentencePieceScratch();
        t_cached = null; // a nested call gets its own
        return scratch;
    }

    public static void Return(SentencePieceScratch scratch)
    {
        if (scratch.Best.Length > KeepLimit)
        {
            scratch.Best = [];
            scratch._forward = [];
            scratch.Back = [];
            scratch.PathIds = scratch.PathStarts = [];
            scratch.OutIds = scratch.OutStarts = scratch.OutEnds = scratch.OutNormStarts = scratch.OutNormEnds = [];
        }
        scratch.Normalized.Trim();
        t_cached = scratch;
    }

    public void EnsureLattice(int n)
    {
        if (Best.Length >= n + 1) return;
        int size = Math.Max(n + 1, Math.Min(Array.MaxLength, 2 * Best.Length));
        Best = new float[size];
        Back = new long[size];
        PathIds = new int[size];
        PathStarts = new int[size];
    }

    public void EnsureOutput(int count)
    {
        if (OutIds.Length >= count) return;
        int size = Math.Max(count, 2 * OutIds.Length);
        OutIds = new int[size];
        OutStarts = new int[size];
        OutEnds = new int[size];
        OutNormStarts = new int[size];
        OutNormEnds = new int[size];
    }
}
