namespace BytePiece.Training;

/// <summary>Stage 3's per-worker state.</summary>
internal sealed class WordCounting
{
    private readonly PreSegmenter[] _segmenters;
    private readonly ByteStringCounter[] _counters;
    private readonly List<int>[] _starts;

    public WordCounting(NGramModel model, TrainerOptions options)
    {
        int threads = options.Threads;
        _segmenters = new PreSegmenter[threads];
        _counters = new ByteStringCounter[threads];
        _starts = new List<int>[threads];
        for (int w = 0; w < threads; w++) { _segmenters[w] = new PreSegmenter(model, options.EnsureUnicode); _counters[w] = new(); _starts[w] = []; }
    }

    public long BackedOff => _segmenters.Sum(s => s.BackedOff);

    public void Count(int worker, ChunkBatch batch)
    {
        PreSegmenter segmenter = _segmenters[worker];
        ByteStringCounter counter = _counters[worker];
        List<int> starts = _starts[worker];
        for (int k = 0; k < batch.Ends.Count; k++)
        {
            ReadOnlySpan<byte> chunk = batch.Chunk(k);
            segmenter.Segment(chunk, starts);
            for (int t = 0; t < starts.Count; t++)
            {
                int end = t + 1 < starts.Count ? starts[t + 1] : chunk.Length;
                counter.Add(chunk[starts[t]..end], 1);
            }
        }
    }

    public ByteStringCounter Merge()
    {
        ByteStringCounter total = _counters[0];
        for (int w = 1; w < _counters.Length; w++)
        {
            total.AddAll(_counters[w]);
            _counters[w] = null!;
        }
        return total;
    }
}
