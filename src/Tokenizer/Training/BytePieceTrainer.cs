using System.Buffers.Binary;
using System.Diagnostics;

namespace BytePiece.Training;

/// <summary>
/// Learns BytePiece vocabularies from a corpus (BytePiece's "BNLM" algorithm): count byte n-grams, keep
/// the frequent ones as a conditional byte language model, cut every chunk into words with an
/// order-state Viterbi, count the words, and prune them into a Unigram vocabulary of each target size.
/// Multi-threaded and deterministic: the models never depend on the thread count, the batch size or
/// the memory budget.
/// </summary>
public static class BytePieceTrainer
{
    /// <summary>Trains one model per size in <see cref="TrainerOptions.VocabSizes"/>.</summary>
    /// <param name="corpus">The text; read twice.</param>
    /// <param name="options">Parameters (validated first).</param>
    /// <param name="progress">Receives the stage and how far it is (from the training threads).</param>
    /// <param name="cancellationToken">Stops training; spill files are deleted.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="IOException">The corpus cannot be read, or a spill file cannot be written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static TrainingResult Train(TrainingCorpus corpus, TrainerOptions options, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int threads = options.Threads;
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        void Report(string stage, long done, long? total) => progress?.Report(new TrainingProgress(stage, done, total));
        void EndStage(string stage) { stages.Add((stage, clock.Elapsed)); clock.Restart(); }

        // Stage 1: n-gram counts, per worker, spilled to sorted runs past the memory budget.
        var counting = new NGramCounting(options, threads);
        var heldOut = options.HoldoutEvery > 0 ? new ChunkBatch() : null;
        List<NGramRun> runs;
        PassTotals totals;
        try
        {
            totals = CorpusPass.Run(corpus, options, counting.Count, done => Report("counting n-grams", done, corpus.TotalBytes),
                heldOut, options.HoldoutMaxBytes, cancellationToken);
            runs = counting.FinishRuns();
        }
        catch
        {
            counting.Discard();
            throw;
        }
        EndStage("counting n-grams");

        // Stage 2: merge, keep n-grams seen at least min_count times, condition on the prefix.
        long distinct = 0, merged = 0, toMerge = runs.Sum(r => r.Length);
        var keys = new List<ulong>();
        var counts = new List<long>();
        try
        {
            NGramRun.Merge(runs, (key, count) =>
            {
                distinct++;
                if (count >= options.MinCount) { keys.Add(key); counts.Add(count); }
                if ((++merged & 0xFFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Report("merging n-grams", merged, toMerge);
                }
            });
        }
        finally
        {
            foreach (NGramRun run in runs) run.Discard();
        }
        NGramModel ngrams = NGramModel.Build(counting.ByteCounts(), keys, counts, options.Order);
        keys = null!;
        counts = null!;
        EndStage("n-gram model");

        // Stage 3: pre-segment every chunk and count the words.
        var segmenting = new WordCounting(ngrams, options, threads);
        CorpusPass.Run(corpus, options, segmenting.Count, done => Report("segmenting", done, corpus.TotalBytes), null, 0, cancellationToken);
        ByteStringCounter words = segmenting.Merge();
        long candidates = words.Count;
        ngrams = null!;
        EndStage("segmenting");

        // Stage 4: prune to the target sizes.
        cancellationToken.ThrowIfCancellationRequested();
        var pruner = new PiecePruner(options, p => { cancellationToken.ThrowIfCancellationRequested(); progress?.Report(p); });
        var sets = pruner.Prune(words);
        var models = sets.Select(s => s.Pieces.ToFinalModel()).ToList();
        EndStage("pruning pieces");

        var statistics = new TrainingStatistics
        {
            CorpusBytes = totals.Bytes,
            Chunks = totals.Chunks,
            HeldOutChunks = totals.HeldOutChunks,
            HeldOutBytes = heldOut?.Length ?? 0,
            InvalidSequences = totals.InvalidSequences,
            DistinctNGrams = distinct,
            KeptNGrams = segmenting.KeptNGrams,
            SpilledRuns = counting.SpilledRuns,
            BackedOffBytes = segmenting.BackedOff,
            CandidatePieces = candidates,
            FilteredPieces = pruner.Filtered,
            StablePieces = pruner.Stable,
            StageTimes = stages,
        };
        return new TrainingResult(models, statistics, heldOut is null ? ReadOnlyMemory<byte>.Empty : heldOut.Data.AsMemory(0, heldOut.Length));
    }

    /// <summary>Stage 1's per-worker state.</summary>
    private sealed class NGramCounting
    {
        private readonly TrainerOptions _options;
        private readonly NGramCountTable?[] _tables;
        private readonly long[][] _bytes;
        private readonly List<NGramRun>[] _runs;
        private readonly long _budget;
        private readonly string _tempDirectory;
        private int _spilled;

        public NGramCounting(TrainerOptions options, int threads)
        {
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
                        table.Add((window & ((1UL << (8 * length)) - 1)) | ((ulong)length << 56), 1);
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

    /// <summary>Stage 3's per-worker state.</summary>
    private sealed class WordCounting
    {
        private readonly PreSegmenter[] _segmenters;
        private readonly ByteStringCounter[] _counters;
        private readonly List<int>[] _starts;

        public WordCounting(NGramModel model, TrainerOptions options, int threads)
        {
            KeptNGrams = model.Count;
            _segmenters = new PreSegmenter[threads];
            _counters = new ByteStringCounter[threads];
            _starts = new List<int>[threads];
            for (int w = 0; w < threads; w++) { _segmenters[w] = new PreSegmenter(model, options.EnsureUnicode); _counters[w] = new(); _starts[w] = []; }
        }

        public long KeptNGrams { get; }

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
}
