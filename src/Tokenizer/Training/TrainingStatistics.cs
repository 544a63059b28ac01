namespace BytePiece.Training;

/// <summary>What training saw and did, stage by stage.</summary>
public sealed record TrainingStatistics
{
    /// <summary>Bytes of (NFC) text read in one pass, held-out chunks included.</summary>
    public long CorpusBytes { get; init; }
    /// <summary>Training chunks in the corpus.</summary>
    public long Chunks { get; init; }
    /// <summary>Chunks left out of training.</summary>
    public long HeldOutChunks { get; init; }
    /// <summary>Bytes of held-out text measured.</summary>
    public long HeldOutBytes { get; init; }
    /// <summary>Invalid UTF-8 sequences read as U+FFFD.</summary>
    public long InvalidSequences { get; init; }
    /// <summary>Distinct n-grams of 2..order bytes counted.</summary>
    public long DistinctNGrams { get; init; }
    /// <summary>N-grams kept after min_count.</summary>
    public long KeptNGrams { get; init; }
    /// <summary>Sorted runs of n-gram counts written to disk because of the memory budget.</summary>
    public int SpilledRuns { get; init; }
    /// <summary>Bytes where the segmenter backed off instead of dead-ending (upstream's -infinity case).</summary>
    public long BackedOffBytes { get; init; }
    /// <summary>Distinct words from pre-segmentation (candidate pieces).</summary>
    public long CandidatePieces { get; init; }
    /// <summary>Pieces kept by the count and length filter.</summary>
    public long FilteredPieces { get; init; }
    /// <summary>Pieces after the first wasted-piece fixed point.</summary>
    public long StablePieces { get; init; }
    /// <summary>Time per stage.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Time)> StageTimes { get; init; } = [];
}
