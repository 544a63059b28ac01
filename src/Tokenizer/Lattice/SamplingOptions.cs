using BytePiece.Lattice;

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
/// <exception cref="ArgumentOutOfRangeException">Alpha is NaN, infinite, or above <see cref="MaxAlpha"/>.</exception>
public readonly record struct SamplingOptions(double Alpha, ulong Seed, long FirstChunk = 0)
{
    /// <summary>
    /// The largest alpha: 1,000,000. Every score is at most <see cref="ModelLimits.MaxScoreMagnitude"/> (1e30) in
    /// size and a lattice has fewer than 2^31 tokens, so every sum of <c>alpha * score</c> the samplers, entropy and
    /// marginals form stays below 1e6 * 1e30 * 2^31 ~ 2e45, far from a double's overflow (1.8e308): results stay
    /// finite. Alphas far below it already give the Viterbi result in practically every draw.
    /// </summary>
    public const double MaxAlpha = 1e6;

    /// <summary>Inverse temperature; negative for Viterbi. NaN, infinities and values above <see cref="MaxAlpha"/> are refused.</summary>
    public double Alpha { get => _alpha; init => _alpha = Valid(value); }

    private readonly double _alpha = Valid(Alpha);

    private static double Valid(double alpha)
        => double.IsFinite(alpha) && alpha <= MaxAlpha ? alpha
            : throw new ArgumentOutOfRangeException(nameof(Alpha), alpha, $"alpha must be finite and at most {MaxAlpha:G} (negative means Viterbi)");

    /// <summary>
    /// The most hypotheses a draw without replacement (<c>SampleEncodeAndScore</c> with <c>withoutReplacement</c>)
    /// may hold: 4,194,304, about 350 MB at most. The exact search keeps one per token of every path it has found
    /// (those shared between paths once), so the count times the tokens of a path must stay below it; asking
    /// for more throws <see cref="InputLimitExceededException"/> (up front when the expected need, the count times
    /// the expected tokens of a draw, is beyond it), before any sample is returned. Draws with replacement hold no such state.
    /// </summary>
    public const int MaxSearchHypotheses = 1 << 22;

    /// <summary>Whether these options mean the deterministic best segmentation.</summary>
    public bool IsViterbi => Alpha < 0;

    internal CounterRng RngForChunk(long chunk) => new(Seed, FirstChunk + chunk);

    /// <summary>Refuses an alpha outside [0, <see cref="MaxAlpha"/>] or NaN (the calls that take alpha alone, or need a real draw).</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative, NaN, infinite or above <see cref="MaxAlpha"/>.</exception>
    internal static void CheckAlpha(double alpha)
    {
        if (!(alpha >= 0 && alpha <= MaxAlpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must be between 0 and {MaxAlpha:G}");
    }
}
