using BytePiece.Lookup;
using BytePiece.Normalization;

namespace BytePiece.Lattice;

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

    /// <summary>Per position of the normalized text: the value there (Viterbi's best score, or the sampler's forward value) and the winning edge.</summary>
    public LatticePosition[] Positions = [];
    public int[] PathIds = [];

    /// <summary>The trie whose cells the back entries of <see cref="Positions"/> name (the lattice walks characters or bytes).</summary>
    public PieceTrie? BackTrie;
    public int[] PathStarts = [];

    /// <summary>Output tokens after unknown merging or byte fallback: id, original start and end, normalized start and end.</summary>
    public int[] OutIds = [], OutStarts = [], OutEnds = [], OutNormStarts = [], OutNormEnds = [];


    public static SentencePieceScratch Rent()
    {
        SentencePieceScratch scratch = t_cached ?? new SentencePieceScratch();
        t_cached = null; // a nested call gets its own
        return scratch;
    }

    public static void Return(SentencePieceScratch scratch)
    {
        if (scratch.Positions.Length > KeepLimit)
        {
            scratch.Positions = [];
            scratch.PathIds = scratch.PathStarts = [];
            scratch.OutIds = scratch.OutStarts = scratch.OutEnds = scratch.OutNormStarts = scratch.OutNormEnds = [];
        }
        scratch.Normalized.Trim();
        t_cached = scratch;
    }

    public void EnsureLattice(int n)
    {
        if (Positions.Length >= n + 1) return;
        int size = Math.Max(n + 1, Math.Min(Array.MaxLength, 2 * Positions.Length));
        Positions = new LatticePosition[size];
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

/// <summary>
/// One position of spm's lattice: the value there and the edge that won it (<see cref="SentencePieceLattice.BackEntry"/>),
/// side by side, so that a relaxation reads and writes one 16-byte cell through one register.
/// </summary>
internal struct LatticePosition
{
    public double Value;
    public long Back;
}
