namespace BytePiece;

/// <summary>
/// Subword regularization: draw a segmentation instead of taking the best one. With
/// <see cref="Alpha"/> &gt;= 0 each chunk's segmentation w is drawn with probability exactly
/// <c>P(w)^alpha / sum over w' of P(w')^alpha</c> (alpha = 0: uniform over all segmentations; large
/// alpha: close to Viterbi); alpha &lt; 0 means Viterbi. The draw for chunk c (counted from
/// <see cref="FirstChunk"/>) depends only on (<see cref="Seed"/>, c) and the chunk's bytes, so the same
/// seed gives the same ids on every machine, whole or resumed.
/// </summary>
/// <param name="Alpha">Inverse temperature; negative for Viterbi.</param>
/// <param name="Seed">The seed of the random stream.</param>
/// <param name="FirstChunk">Index of the input's first chunk in a longer text; when resuming after
/// <see cref="System.Buffers.OperationStatus.DestinationTooSmall"/>, add <see cref="Chunker.CountChunks"/>
/// of the consumed bytes so the draws continue exactly as in one call.</param>
public readonly record struct SamplingOptions(double Alpha, ulong Seed, long FirstChunk = 0)
{
    /// <summary>
    /// The most hypotheses a draw without replacement (<c>SampleEncodeAndScore</c> with <c>withoutReplacement</c>)
    /// may hold: 4,194,304, about 350 MB at most. The exact search keeps one per token of every path it has found
    /// (those shared between paths once), so the count times the tokens of a path must stay below it; asking
    /// for more throws <see cref="InputLimitExceededException"/> (up front when the expected need, the count times
    /// the expected tokens of a draw, is beyond it), before any sample is returned. Draws with replacement hold no such state.
    /// </summary>
    public const int MaxSearchHypotheses = 1 << 22;

    /// <summary>Whether these options mean the deterministic best segmentation.</summary>
    public bool IsViterbi => !(Alpha >= 0); // NaN counts as Viterbi too

    internal CounterRng RngForChunk(long chunk) => new(Seed, FirstChunk + chunk);

    /// <summary>Refuses an alpha that is negative or not finite (the calls that take alpha alone, or need a real draw).</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative, NaN or infinite.</exception>
    internal static void CheckAlpha(double alpha)
    {
        if (!(alpha >= 0) || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and >= 0");
    }
}
