namespace BytePiece.Training;

/// <summary>Parameters of <see cref="BytePieceTrainer"/>; the defaults are upstream BytePiece 0.6.3's.</summary>
public sealed record TrainerOptions
{
    /// <summary>
    /// Target vocabulary sizes, specials included (one model per size; each final size is at most its
    /// target, as upstream's wasted-piece pruning can remove a few more). At least 259 (3 specials + 256 bytes).
    /// </summary>
    public IReadOnlyList<int> VocabSizes { get; init; } = [10000];

    /// <summary>The n of the byte n-gram model, 2..7 (upstream recommends 6).</summary>
    public int Order { get; init; } = 6;

    /// <summary>Longest piece in bytes.</summary>
    public int MaxPieceLength { get; init; } = 36;

    /// <summary>Smallest count kept, for n-grams of two or more bytes and for pieces.</summary>
    public long MinCount { get; init; } = 2;

    /// <summary>No piece starts on a UTF-8 continuation byte, so every multi-byte piece is whole characters.</summary>
    public bool EnsureUnicode { get; init; } = true;

    /// <summary>Every decimal digit (Unicode Nd) is a chunk of its own, so no multi-byte piece contains one.</summary>
    public bool IsolateDigits { get; init; }

    /// <summary>Worker threads (default: all cores). The result never depends on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Memory for the n-gram counts (bytes). Past it, counts are spilled to sorted files in
    /// <see cref="TempDirectory"/> and merged exactly, so the result never depends on it. Default: a
    /// quarter of the memory available to the process, at most 2 GiB (smaller tables are also faster: fewer cache misses).
    /// </summary>
    public long MaxMemory { get; init; } = Math.Min(2L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Where spill files go (default: the system's temporary folder).</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Leave every k-th chunk out of training and measure compression on it (0: none).</summary>
    public int HoldoutEvery { get; init; }

    /// <summary>Most bytes of held-out text kept for the measurement.</summary>
    public long HoldoutMaxBytes { get; init; } = 8 << 20;

    /// <summary>Most characters in a training chunk (upstream: 10,000).</summary>
    public int MaxChunkChars { get; init; } = 10000;

    /// <summary>Most <c>\n</c> bytes at the end of a training chunk (upstream: 100).</summary>
    public int MaxNewlinesPerChunk { get; init; } = 100;

    /// <summary>Checks every option; throws <see cref="ArgumentException"/> naming the wrong one.</summary>
    public void Validate()
    {
        if (VocabSizes is null || VocabSizes.Count == 0) throw new ArgumentException("at least one vocabulary size is needed", nameof(VocabSizes));
        foreach (int size in VocabSizes)
            if (size < SpecialTokens.Count + 256) throw new ArgumentException($"vocabulary size {size} is too small: it must hold the 3 specials and the 256 bytes (at least 259)", nameof(VocabSizes));
        if (Order is < 2 or > NGramKey.MaxLength) throw new ArgumentException($"order {Order} is out of range 2..{NGramKey.MaxLength}", nameof(Order));
        if (MaxPieceLength < 1) throw new ArgumentException($"max piece length {MaxPieceLength} must be at least 1", nameof(MaxPieceLength));
        if (MinCount < 1) throw new ArgumentException($"min count {MinCount} must be at least 1", nameof(MinCount));
        if (Threads < 1) throw new ArgumentException($"threads {Threads} must be at least 1", nameof(Threads));
        if (MaxMemory < (16L << 20)) throw new ArgumentException($"max memory {MaxMemory} bytes is below the 16 MiB minimum", nameof(MaxMemory));
        if (HoldoutEvery is < 0 or 1) throw new ArgumentException($"holdout-every {HoldoutEvery} must be 0 (none) or at least 2", nameof(HoldoutEvery));
        if (MaxChunkChars < 1 || MaxNewlinesPerChunk < 1) throw new ArgumentException("chunk limits must be at least 1");
    }
}
