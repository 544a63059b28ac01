using System.Buffers;
using System.Numerics;

namespace BytePiece.LmTools.Losses;

/// <summary>
/// Token-level losses over one row of logits (z, length V) and a target id t, each returning its value
/// and writing its exact gradient with respect to the logits. Every loss also works value-only: pass an
/// empty gradient span (<c>default</c>) and nothing is written. Arithmetic in double whatever T is.
/// Formulas and test vectors: ../shared/reference/lmtools.md section 3.
/// </summary>
public static class TokenLosses
{
    /// <summary>
    /// Cross-entropy with label smoothing ε: L = (1−ε)(−log p_t) + (ε/V)·Σ_v(−log p_v);
    /// ∇ = p − (1−ε)e_t − ε/V.
    /// </summary>
    public static double CrossEntropy<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T>
        => TaiLr(logits, target, gradient, gamma: 0, minWeight: 0, labelSmoothing);

    /// <summary>
    /// TaiLr (Ji et al., ICLR 2023), as trained: L = −(1−ε)·sg(w_b)·log p_t + (ε/V)·Σ_v(−log p_v), with
    /// w = p_t / (γ + (1−γ) p_t) and w_b = clamp(max(b, w), 0, 1); ∇ = (1−ε)·w_b·(p − e_t) + ε·(p − u).
    /// γ = 0 is cross-entropy; γ → 1 gives the gradient of 1 − p_t. The returned value is the surrogate's
    /// (see <see cref="TaiLrClosedForm"/> for the loss whose exact gradient this is when b does not bind).
    /// </summary>
    public static double TaiLr<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient, double gamma, double minWeight = 0, double labelSmoothing = 0)
        where T : IFloatingPointIeee754<T>
    {
        Check(logits, target, gradient);
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1]");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1]");
        int v = logits.Length;
        double[] rented = ArrayPool<double>.Shared.Rent(v);
        Span<double> p = rented.AsSpan(0, v);
        double logZ = Softmax.Compute(logits, p);
        double logPt = double.CreateTruncating(logits[target]) - logZ;
        double weight = TaiLrWeight(logPt, gamma, minWeight);
        double smoothing = 0;
        if (labelSmoothing > 0)
        {
            for (int i = 0; i < v; i++) smoothing -= double.CreateTruncating(logits[i]) - logZ;
            smoothing /= v;
        }
        for (int i = 0; i < gradient.Length; i++)
        {
            double g = (1 - labelSmoothing) * weight * (p[i] - (i == target ? 1 : 0)) + labelSmoothing * (p[i] - 1.0 / v);
            gradient[i] = T.CreateTruncating(g);
        }
        ArrayPool<double>.Shared.Return(rented);
        return -(1 - labelSmoothing) * weight * logPt + labelSmoothing * smoothing;
    }

    /// <summary>
    /// TaiLr's per-token weight, the factor a paper's tables and plots show: w_b = clamp(max(b, w), 0, 1) with
    /// w = p_t / (γ + (1−γ) p_t), from the same softmax as the loss (detached in training).
    /// </summary>
    public static double TaiLrWeight<T>(ReadOnlySpan<T> logits, int target, double gamma, double minWeight = 0) where T : IFloatingPointIeee754<T>
    {
        Check(logits, target, default);
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1]");
        return TaiLrWeight(LogProbability(logits, target), gamma, minWeight);
    }

    // log w = log p_t − log(γ + (1−γ) p_t), in log space
    private static double TaiLrWeight(double logPt, double gamma, double minWeight)
        => Math.Clamp(Math.Max(minWeight, Math.Exp(logPt - Math.Log(gamma + (1 - gamma) * Math.Exp(logPt)))), 0, 1);

    /// <summary>
    /// TaiLr's closed form L_γ = −log(γ + (1−γ) p_t) / (1−γ) (γ &lt; 1): computed as
    /// −log1p(−(1−γ)(1−p_t))/(1−γ) when the argument is near 1 (γ near 1 or p_t near 1), directly otherwise.
    /// </summary>
    public static double TaiLrClosedForm<T>(ReadOnlySpan<T> logits, int target, double gamma) where T : IFloatingPointIeee754<T>
    {
        Check(logits, target, default);
        if (!(gamma >= 0 && gamma < 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1)");
        double logPt = LogProbability(logits, target);
        if (gamma == 0) return -logPt;
        double x = -(1 - gamma) * (1 - Math.Exp(logPt));
        if (x < -0.5) return -Math.Log(gamma + (1 - gamma) * Math.Exp(logPt)) / (1 - gamma);
        double u = 1 + x;
        return -(u == 1 ? x : Math.Log(u) * (x / (u - 1))) / (1 - gamma);
    }

    /// <summary>Smooth accuracy L = 1 − p_t (Su); ∇ = p_t (p − e_t).</summary>
    public static double SmoothAccuracy<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient) where T : IFloatingPointIeee754<T>
    {
        TaiLr(logits, target, gradient, gamma: 1); // TaiLr's gradient at γ = 1 is exactly p_t (p − e_t)
        return 1 - Math.Exp(LogProbability(logits, target));
    }

    /// <summary>Focal loss L = −(1 − p_t)^g log p_t; ∇ = [g (1−p_t)^(g−1) p_t ln p_t − (1 − p_t)^g] (e_t − p).</summary>
    public static double Focal<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient, double focusing) where T : IFloatingPointIeee754<T>
    {
        Check(logits, target, gradient);
        if (!(focusing >= 0)) throw new ArgumentOutOfRangeException(nameof(focusing), focusing, "the focusing parameter must be >= 0");
        int v = logits.Length;
        double[] rented = ArrayPool<double>.Shared.Rent(v);
        Span<double> p = rented.AsSpan(0, v);
        double logZ = Softmax.Compute(logits, p);
        double logPt = double.CreateTruncating(logits[target]) - logZ, pt = Math.Exp(logPt), rest = 1 - pt;
        double factor = (focusing == 0 ? 0 : focusing * Math.Pow(rest, focusing - 1) * pt * logPt) - Math.Pow(rest, focusing);
        for (int i = 0; i < gradient.Length; i++) gradient[i] = T.CreateTruncating(factor * ((i == target ? 1 : 0) - p[i]));
        ArrayPool<double>.Shared.Return(rented);
        return -Math.Pow(rest, focusing) * logPt;
    }

    private static double LogProbability<T>(ReadOnlySpan<T> logits, int target) where T : IFloatingPointIeee754<T>
    {
        double[] rented = ArrayPool<double>.Shared.Rent(logits.Length);
        double logZ = Softmax.Compute(logits, rented.AsSpan(0, logits.Length));
        ArrayPool<double>.Shared.Return(rented);
        return double.CreateTruncating(logits[target]) - logZ;
    }

    /// <summary>How EMO is combined with maximum likelihood (Ren et al., ICLR 2024; reference code).</summary>
    public enum EmoMode
    {
        /// <summary>The earth mover distance alone.</summary>
        Pure,

        /// <summary>L = ½(CE + sg(CE/EMD)·EMD): value CE, gradient ½(p − e_t) + ½(CE/EMD)·∇EMD.</summary>
        MleEmphasized,

        /// <summary>L = sg(EMD/CE)·CE + EMD: value 2·EMD, gradient (EMD/CE)(p − e_t) + ∇EMD.</summary>
        EmoEmphasized,
    }

    /// <summary>
    /// EMO: the exact earth mover distance between q = softmax(z) and the one-hot target under the cost
    /// c_ij = 1 − cos(e_i, e_j): EMD = 1 − Σ_i q_i s_i with s_i = ⟨ê_i, ê_t⟩; ∂EMD/∂z_j = q_j (s̄ − s_j).
    /// <paramref name="normalizedEmbeddings"/> is [V × D], rows of unit length (see <see cref="NormalizeRows"/>),
    /// frozen (the pre-trained LM head). Rows that are not unit are refused, not normalized here (that would
    /// cost a V × D copy per call): a row is accepted when |‖e‖² − 1| ≤ 1e-6 (float-rounded unit rows pass)
    /// or when it is zero (what <see cref="NormalizeRows"/> leaves of a zero row). Ratios in the combined
    /// modes are detached; 1e-10 guards denominators.
    /// </summary>
    /// <param name="logits">The row of logits.</param>
    /// <param name="target">The target id.</param>
    /// <param name="normalizedEmbeddings">[V × D] unit rows.</param>
    /// <param name="dimension">D.</param>
    /// <param name="gradient">Receives the gradient.</param>
    /// <param name="mode">How EMD is mixed with cross-entropy.</param>
    /// <param name="ratioClamp">Upper bound on the detached CE/EMD ratio of <see cref="EmoMode.MleEmphasized"/>
    /// (the reference code's continual fine-tuning variant uses 3); infinity for none.</param>
    /// <exception cref="ArgumentException">A row of <paramref name="normalizedEmbeddings"/> is neither unit nor zero.</exception>
    public static double Emo<T>(ReadOnlySpan<T> logits, int target, ReadOnlySpan<double> normalizedEmbeddings, int dimension, Span<T> gradient,
        EmoMode mode = EmoMode.Pure, double ratioClamp = double.PositiveInfinity)
        where T : IFloatingPointIeee754<T>
    {
        Check(logits, target, gradient);
        int v = logits.Length;
        if (dimension < 1 || normalizedEmbeddings.Length != v * dimension)
            throw new ArgumentException($"embeddings must be [{v} x {dimension}]", nameof(normalizedEmbeddings));
        double[] rented = ArrayPool<double>.Shared.Rent(2 * v);
        Span<double> q = rented.AsSpan(0, v), s = rented.AsSpan(v, v);
        double logZ = Softmax.Compute(logits, q);
        ReadOnlySpan<double> et = normalizedEmbeddings.Slice(target * dimension, dimension);
        double expected = 0;
        for (int i = 0; i < v; i++)
        {
            ReadOnlySpan<double> ei = normalizedEmbeddings.Slice(i * dimension, dimension);
            double dot = 0, norm = 0;
            for (int k = 0; k < dimension; k++)
            {
                dot += ei[k] * et[k];
                norm += ei[k] * ei[k];
            }
            // The EMD formula assumes cosines; raw rows would give a wrong value without any sign of it.
            if (!(Math.Abs(norm - 1) <= 1e-6) && norm != 0)
            {
                ArrayPool<double>.Shared.Return(rented);
                throw new ArgumentException($"embedding row {i} has squared norm {norm:G6}, not 1: EMO needs unit rows (use {nameof(NormalizeRows)})", nameof(normalizedEmbeddings));
            }
            s[i] = dot;
            expected += q[i] * dot;
        }
        double emd = 1 - expected;
        double ce = logZ - double.CreateTruncating(logits[target]);
        (double mleScale, double emoScale, double value) = mode switch
        {
            EmoMode.Pure => (0.0, 1.0, emd),
            EmoMode.MleEmphasized => (0.5, 0.5 * Math.Min(ce / (emd + 1e-10), ratioClamp), ce),
            _ => (emd / (ce + 1e-10), 1.0, 2 * emd),
        };
        for (int j = 0; j < gradient.Length; j++)
            gradient[j] = T.CreateTruncating(mleScale * (q[j] - (j == target ? 1 : 0)) + emoScale * q[j] * (expected - s[j]));
        ArrayPool<double>.Shared.Return(rented);
        return value;
    }

    /// <summary>Normalizes each row of a [rows × dimension] matrix to unit length (zero rows stay zero).</summary>
    public static double[] NormalizeRows(ReadOnlySpan<double> matrix, int dimension)
    {
        if (dimension < 1 || matrix.Length % dimension != 0) throw new ArgumentException("matrix length must be a multiple of the dimension", nameof(matrix));
        double[] result = matrix.ToArray();
        for (int r = 0; r < result.Length; r += dimension)
        {
            Span<double> row = result.AsSpan(r, dimension);
            double norm = 0;
            foreach (double x in row) norm += x * x;
            norm = Math.Sqrt(norm);
            if (norm > 0) for (int k = 0; k < dimension; k++) row[k] /= norm;
        }
        return result;
    }

    private static void Check<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient)
    {
        if (logits.IsEmpty) throw new ArgumentException("logits are empty", nameof(logits));
        if ((uint)target >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(target), target, $"target must be in [0, {logits.Length})");
        if (!gradient.IsEmpty && gradient.Length != logits.Length) throw new ArgumentException("gradient must have the logits' length", nameof(gradient));
    }
}
