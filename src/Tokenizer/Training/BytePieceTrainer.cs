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
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        void Report(string stage, long done, long? total) => progress?.Report(new TrainingProgress(stage, done, total));
        void EndStage(string stage) { stages.Add((stage, clock.Elapsed)); clock.Restart(); }

        // Stages 1 and 2: n-gram counts, then the conditional model of the frequent ones.
        var heldOut = options.HoldoutEvery > 0 ? new ChunkBatch() : null;
        NGramStage ngrams = BuildNGramModel(corpus, options, heldOut, Report, cancellationToken);
        GC.Collect(); // the counting tables and runs are gone; give their memory back before the next pass
        EndStage("n-grams");

        // Stage 3: pre-segment every chunk and count the words.
        WordCounting segmenting = CountWords(corpus, options, ngrams.Model, Report, cancellationToken);
        ByteStringCounter words = segmenting.Merge();
        long candidates = words.Count;
        GC.Collect();
        EndStage("segmenting");

        // Stage 4: prune to the target sizes.
        cancellationToken.ThrowIfCancellationRequested();
        var pruner = new PiecePruner(options, p => { cancellationToken.ThrowIfCancellationRequested(); progress?.Report(p); });
        var sets = pruner.Prune(words);
        var models = sets.Select(s => s.Pieces.ToFinalModel()).ToList();
        EndStage("pruning pieces");

        var statistics = new TrainingStatistics
        {
            CorpusBytes = ngrams.Totals.Bytes,
            Chunks = ngrams.Totals.Chunks,
            HeldOutChunks = ngrams.Totals.HeldOutChunks,
            HeldOutBytes = heldOut?.Length ?? 0,
            InvalidSequences = ngrams.Totals.InvalidSequences,
            DistinctNGrams = ngrams.Distinct,
            KeptNGrams = ngrams.Model.Count,
            SpilledRuns = ngrams.SpilledRuns,
            BackedOffBytes = segmenting.BackedOff,
            CandidatePieces = candidates,
            FilteredPieces = pruner.Filtered,
            StablePieces = pruner.Stable,
            StageTimes = stages,
        };
        return new TrainingResult(models, statistics, heldOut is null ? ReadOnlyMemory<byte>.Empty : heldOut.Data.AsMemory(0, heldOut.Length));
    }

    /// <summary>What stages 1 and 2 produce.</summary>
    internal sealed record NGramStage(NGramModel Model, PassTotals Totals, long Distinct, int SpilledRuns);

    /// <summary>
    /// Stages 1 and 2: count every n-gram of 1..order bytes per worker (spilling sorted runs past the
    /// memory budget), merge the runs, keep those seen at least min_count times, condition on the prefix.
    /// </summary>
    internal static NGramStage BuildNGramModel(TrainingCorpus corpus, TrainerOptions options, ChunkBatch? heldOut,
        Action<string, long, long?> report, CancellationToken cancellationToken)
    {
        var counting = new NGramCounting(options);
        List<NGramRun> runs;
        PassTotals totals;
        try
        {
            totals = CorpusPass.Run(corpus, options, counting.Count, done => report("counting n-grams", done, corpus.TotalBytes),
                heldOut, cancellationToken);
            runs = counting.FinishRuns();
        }
        catch
        {
            counting.Discard();
            throw;
        }

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
                    report("merging n-grams", merged, toMerge);
                }
            });
        }
        finally
        {
            foreach (NGramRun run in runs) run.Discard();
        }
        return new NGramStage(NGramModel.Build(counting.ByteCounts(), keys, counts, options.Order), totals, distinct, counting.SpilledRuns);
    }

    /// <summary>Stage 3: cut every training chunk into words with the n-gram model and count them (per worker).</summary>
    internal static WordCounting CountWords(TrainingCorpus corpus, TrainerOptions options, NGramModel model,
        Action<string, long, long?> report, CancellationToken cancellationToken)
    {
        var segmenting = new WordCounting(model, options);
        CorpusPass.Run(corpus, options, segmenting.Count, done => report("segmenting", done, corpus.TotalBytes), null, cancellationToken);
        return segmenting;
    }
}
