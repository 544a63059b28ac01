namespace BytePiece.LmTools.Attention;

/// <summary>
/// A law of i.i.d. attention scores s, through what <see cref="ExpectedAttentionScale"/> needs: the log
/// moment generating function ln E[e^{α s}] and its derivative, the mean of s under the tilted law
/// e^{α s} / E[e^{α s}]. Derive from it to supply another law. Immutable and thread-safe.
/// </summary>
public abstract class ScoreDistribution
{
    /// <summary>Standard normal scores: q·k / sqrt(d) at initialization. ln E[e^{α s}] = α²/2.</summary>
    public static ScoreDistribution StandardNormal { get; } = new NormalScores();

    /// <summary>The cosine of two independent uniform directions in dimension d (l2-normalized q and k).</summary>
    /// <param name="dimension">d ≥ 2.</param>
    public static ScoreDistribution Cosine(int dimension) => new CosineScores(dimension);

    /// <summary>ln E[e^{α s}].</summary>
    public abstract double LogMomentGenerating(double alpha);

    /// <summary>d/dα ln E[e^{α s}] = E[s e^{α s}] / E[e^{α s}].</summary>
    public abstract double TiltedMean(double alpha);

    /// <summary>
    /// ln(E[e^{2α s}] / E[e^{α s}]²) = L(2α) − 2L(α), the log of n · Σ p_i² in the i.i.d. model. A law
    /// overrides it where the two terms are large and nearly cancel (they grow like α).
    /// </summary>
    public virtual double LogMomentRatio(double alpha) => LogMomentGenerating(2 * alpha) - 2 * LogMomentGenerating(alpha);

    /// <summary>
    /// <see cref="TiltedMean"/>(2α) − <see cref="TiltedMean"/>(α). A law overrides it where both means
    /// approach the same bound and their difference would cancel.
    /// </summary>
    public virtual double TiltedMeanIncrease(double alpha) => TiltedMean(2 * alpha) - TiltedMean(alpha);

    private sealed class NormalScores : ScoreDistribution
    {
        public override double LogMomentGenerating(double alpha) => alpha * alpha / 2;

        public override double TiltedMean(double alpha) => alpha;

        public override double LogMomentRatio(double alpha) => alpha * alpha;

        public override double TiltedMeanIncrease(double alpha) => alpha;

        public override string ToString() => "standard normal scores";
    }
}
