using System.Buffers.Binary;

namespace BytePiece.Training;

/// <summary>Stage 1's per-worker state.</summary>
internal sealed class NGramCounting
{
    private readonly TrainerOptions _options;
    private readonly NGramCountTable?[] _tables;
    private readonly long[][] _bytes;
    private readonly List<NGramRun>[] _runs;
    private readonly long _budget;
    private readonly string _tempDirectory;
    private int _spilled;

    public NGramCounting(TrainerOptions options)
    {
        int threads = options.Threads;
        _options = options;
        _tables = new NGramCountTable?[threads];
        _bytes = new long[threads][];
        _runs = new List<NGramRun>[threads];
        for (int w = 0; w < threads; w++) { _tables[w] = new NGramCountTable(); _bytes[w] = new long[256]; _runs[w] = []; }
        // A table, its drained run and the later model share the budget.
        _budget = Math.Max(1L << 20, options.MaxMemory / (3L * threads));
        _tempDirectory = options.TempDirectory ?? Path.GetTempPath();
    }

    public int SpilledRuns => _spilled;

    public void Count(int worker, ChunkBatch batch)
    {
        NGramCountTable table = _tables[worker]!;
        long[] bytes = _bytes[worker];
        int order = _options.Order;
        byte[] data = batch.Data;
        int start = 0;
        foreach (int end in batch.Ends)
        {
            int n = end - start;
            if (table.MemoryAfterGrowth > _budget && 2L * (table.Count + (long)n * (order - 1)) > table.MemoryBytes / 16)
                Spill(worker, table.DrainSorted());
            for (int i = start; i < end; i++)
            {
                bytes[data[i]]++;
                int longest = Math.Min(order, end - i);
                ulong window = i + 8 <= data.Length ? BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i)) : Tail(data, i);
                for (int length = 2; length <= longest; length++)
                    table.Add(NGramKey.FromWindow(window, length), 1);
            }
            start = end;
        }
    }

    private static ulong Tail(byte[] data, int i)
    {
        ulong window = 0;
        for (int t = data.Length - 1; t >= i; t--) window = (window << 8) | data[t];
        return window;
    }

    private void Spill(int worker, NGramRun run)
    {
        run.Spill(_tempDirectory);
        _runs[worker].Add(run);
        Interlocked.Increment(ref _spilled);
    }

    /// <summary>Every run: the spilled ones and each table's last, sorted.</summary>
    public List<NGramRun> FinishRuns()
    {
        for (int w = 0; w < _tables.Length; w++)
        {
            NGramRun last = _tables[w]!.DrainSorted();
            _tables[w] = null;
            if (_runs[w].Count > 0 || 16 * last.Length > _budget) Spill(w, last);
            else _runs[w].Add(last);
        }
        return _runs.SelectMany(r => r).ToList();
    }

    public long[] ByteCounts()
    {
        var total = new long[256];
        foreach (long[] counts in _bytes) for (int b = 0; b < 256; b++) total[b] += counts[b];
        return total;
    }

    public void Discard()
    {
        foreach (var list in _runs) foreach (NGramRun run in list) run.Discard();
    }
}
