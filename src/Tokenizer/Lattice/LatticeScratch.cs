using System.Buffers;

namespace BytePiece.Lattice;

/// <summary>
/// Per-thread working arrays for one chunk's lattice (best score and back node per end position, and
/// the path). Small chunks reuse a cached instance; a huge chunk rents from the shared pool and
/// returns the arrays afterwards, so one giant line does not pin memory for the thread's lifetime.
/// </summary>
internal sealed class LatticeScratch
{
    private const int CachedLimit = 1 << 16;

    [ThreadStatic] private static LatticeScratch? t_cached;

    public double[] Best = [];
    public int[] Back = [];
    public int[] Path = [];
    private double[] _sum = [];
    private bool _pooled;

    /// <summary>A second double array for the sampler, allocated only when sampling needs it.</summary>
    public Span<double> SumFor(int size)
    {
        if (_sum.Length < size)
        {
            if (_pooled && _sum.Length > 0) ArrayPool<double>.Shared.Return(_sum);
            _sum = _pooled ? ArrayPool<double>.Shared.Rent(size) : new double[Math.Max(size, Best.Length)];
        }
        return _sum.AsSpan(0, size);
    }

    public static LatticeScratch Rent(int chunkLength)
    {
        int size = chunkLength + 1;
        if (size <= CachedLimit)
        {
            LatticeScratch scratch = t_cached ?? new LatticeScratch();
            t_cached = null; // re-entrancy safe: a nested call gets its own instance
            if (scratch.Best.Length < size)
            {
                int capacity = Math.Max(size, Math.Min(CachedLimit, scratch.Best.Length * 2));
                scratch.Best = new double[capacity];
                scratch.Back = new int[capacity];
                scratch.Path = new int[capacity];
            }
            return scratch;
        }
        return new LatticeScratch
        {
            Best = ArrayPool<double>.Shared.Rent(size),
            Back = ArrayPool<int>.Shared.Rent(size),
            Path = ArrayPool<int>.Shared.Rent(size),
            _pooled = true,
        };
    }

    public static void Return(LatticeScratch scratch)
    {
        if (scratch._pooled)
        {
            ArrayPool<double>.Shared.Return(scratch.Best);
            ArrayPool<int>.Shared.Return(scratch.Back);
            ArrayPool<int>.Shared.Return(scratch.Path);
            if (scratch._sum.Length > 0) ArrayPool<double>.Shared.Return(scratch._sum);
            return;
        }
        t_cached = scratch;
    }
}
