namespace BytePiece.LmTools.Rope;

/// <summary>
/// Inverse frequencies θ_i (i = 0 … d/2 − 1) and the attention factor for each <see cref="RopeType"/>,
/// computed in double with Hugging Face's semantics (<c>modeling_rope_utils.py</c>). The attention factor
/// multiplies both cos and sin, so attention logits scale by its square.
/// </summary>
public static class RopeFrequencies
{
    /// <summary>
    /// Computes (θ, attention factor). Lengths read, as Hugging Face does: Dynamic reads
    /// <see cref="RopeParameters.MaxPositionEmbeddings"/>; YaRN and Llama 3 read
    /// <see cref="RopeParameters.OriginalLength"/> (original_max_position_embeddings, else max_position_embeddings);
    /// LongRoPE reads L = <see cref="RopeParameters.OriginalLength"/> and takes s = max / original when the
    /// original length is given, else <see cref="RopeParameters.Factor"/>; the others read no length.
    /// </summary>
    /// <param name="p">The parameters.</param>
    /// <param name="sequenceLength">Current sequence length (largest position + 1, not a position), used by Dynamic and LongRope.</param>
    /// <exception cref="ArgumentException">Parameters a variant needs are missing or out of range.</exception>
    public static (double[] InverseFrequencies, double AttentionFactor) Compute(RopeParameters p, int sequenceLength = 0)
    {
        ArgumentNullException.ThrowIfNull(p);
        int d = p.RotaryDim;
        if (d < 2 || d % 2 != 0) throw new ArgumentException($"rotary dimension must be even and >= 2, got {d}", nameof(p));
        if (!(p.Base > 1)) throw new ArgumentException($"rope base must be > 1, got {p.Base}", nameof(p));
        if (!(p.Factor > 0)) throw new ArgumentException($"factor must be > 0, got {p.Factor}", nameof(p));
        double s = p.Factor;
        return p.Type switch
        {
            RopeType.Default => (Default(p.Base, d), 1),
            RopeType.Linear => (Default(p.Base, d).Select(t => t / s).ToArray(), 1),
            RopeType.Ntk => (Default(p.Base * Math.Pow(s, d / (d - 2.0)), d), 1),
            RopeType.Dynamic => (Dynamic(p, sequenceLength), 1),
            RopeType.NtkMixed => (NtkMixed(p), 1),
            RopeType.Yarn => Yarn(p),
            RopeType.Llama3 => (Llama3(p), 1),
            RopeType.LongRope => LongRope(p, sequenceLength),
            _ => throw new ArgumentException($"unknown rope type {p.Type}", nameof(p)),
        };
    }

    /// <summary>θ_i = 1 / base^(2i/d).</summary>
    public static double[] Default(double @base, int d)
    {
        var theta = new double[d / 2];
        for (int i = 0; i < theta.Length; i++) theta[i] = 1 / Math.Pow(@base, 2.0 * i / d);
        return theta;
    }

    /// <summary>YaRN's attention-scale helper: 1 if s ≤ 1, else 0.1·m·ln s + 1.</summary>
    public static double YarnMscale(double scale, double mscale = 1) => scale <= 1 ? 1 : 0.1 * mscale * Math.Log(scale) + 1;

    /// <summary>
    /// Dynamic NTK's base for a sequence of <paramref name="sequenceLength"/> tokens (largest position + 1):
    /// base · (s·n / L − (s − 1))^(d/(d−2)) with n = max(sequenceLength, L), L = max_position_embeddings
    /// (2048 when the config has none); the plain base up to L.
    /// </summary>
    public static double DynamicBase(RopeParameters p, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(p);
        int d = p.RotaryDim;
        double current = Math.Max(sequenceLength, p.MaxPositionEmbeddings);
        return p.Base * Math.Pow(p.Factor * current / p.MaxPositionEmbeddings - (p.Factor - 1), d / (d - 2.0));
    }

    /// <summary>NTK-mixed's exponent rate a = ln s / (d/2)^b, so that θ'_i = θ_i · exp(−a (i+1)^b).</summary>
    public static double NtkMixedRate(RopeParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Math.Log(p.Factor) / Math.Pow(p.RotaryDim / 2.0, p.MixedExponent);
    }

    /// <summary>
    /// YaRN's correction range (low, high) in pair indices, as Hugging Face's <c>find_correction_range</c>
    /// returns it: the indices where β_fast and β_slow rotations fit in the original length, floored and
    /// ceiled when <see cref="RopeParameters.Truncate"/>, clamped to [0, d − 1]. Pairs below low keep θ,
    /// pairs above high get θ/s, and a linear ramp blends between.
    /// </summary>
    public static (double Low, double High) YarnCorrectionRange(RopeParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int d = p.RotaryDim;
        double length = p.OriginalLength;
        double Correction(double rotations) => d * Math.Log(length / (rotations * 2 * Math.PI)) / (2 * Math.Log(p.Base));
        double low = Correction(p.BetaFast), high = Correction(p.BetaSlow);
        if (p.Truncate)
        {
            low = Math.Floor(low);
            high = Math.Ceiling(high);
        }
        return (Math.Max(low, 0), Math.Min(high, d - 1)); // sic: d - 1, as Hugging Face clamps
    }

    private static double[] Dynamic(RopeParameters p, int sequenceLength) => Default(DynamicBase(p, sequenceLength), p.RotaryDim);

    private static double[] NtkMixed(RopeParameters p)
    {
        int d = p.RotaryDim;
        double b = p.MixedExponent;
        double a = NtkMixedRate(p);
        double[] theta = Default(p.Base, d);
        for (int i = 0; i < theta.Length; i++) theta[i] *= Math.Exp(-a * Math.Pow(i + 1, b));
        return theta;
    }

    private static (double[], double) Yarn(RopeParameters p)
    {
        int d = p.RotaryDim;
        double s = p.Factor;
        (double low, double high) = YarnCorrectionRange(p);
        if (low == high) high += 0.001; // Hugging Face's guard against a zero-width ramp
        double[] theta = Default(p.Base, d);
        for (int i = 0; i < theta.Length; i++)
        {
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            theta[i] = theta[i] * (1 - ramp) + theta[i] / s * ramp;
        }
        double attention = p.AttentionFactor
            ?? (p.Mscale != 0 && p.MscaleAllDim != 0 ? YarnMscale(s, p.Mscale) / YarnMscale(s, p.MscaleAllDim) : YarnMscale(s));
        return (theta, attention);
    }

    private static double[] Llama3(RopeParameters p)
    {
        double s = p.Factor, length = p.OriginalLength;
        double lowWavelength = length / p.LowFreqFactor, highWavelength = length / p.HighFreqFactor;
        double[] theta = Default(p.Base, p.RotaryDim);
        for (int i = 0; i < theta.Length; i++)
        {
            double wavelength = 2 * Math.PI / theta[i];
            if (wavelength < highWavelength) continue;
            if (wavelength > lowWavelength)
            {
                theta[i] /= s;
                continue;
            }
            double smooth = (length / wavelength - p.LowFreqFactor) / (p.HighFreqFactor - p.LowFreqFactor);
            theta[i] = (1 - smooth) * theta[i] / s + smooth * theta[i];
        }
        return theta;
    }

    private static (double[], double) LongRope(RopeParameters p, int sequenceLength)
    {
        int d = p.RotaryDim;
        double length = p.OriginalLength;
        IReadOnlyList<double> factors = (sequenceLength > length ? p.LongFactor : p.ShortFactor)
            ?? throw new ArgumentException("longrope needs short_factor and long_factor", nameof(p));
        if (factors.Count != d / 2) throw new ArgumentException($"longrope factors must have {d / 2} values, got {factors.Count}", nameof(p));
        var theta = new double[d / 2];
        for (int i = 0; i < theta.Length; i++) theta[i] = 1 / (factors[i] * Math.Pow(p.Base, 2.0 * i / d));
        // Hugging Face: with original_max_position_embeddings given, s = max / original overrides factor;
        // without it, L is max_position_embeddings and s is rope_scaling.factor.
        double s = p.OriginalMaxPositionEmbeddings is int original ? (double)p.MaxPositionEmbeddings / original : p.Factor;
        double attention = p.AttentionFactor ?? (s <= 1 ? 1 : Math.Sqrt(1 + Math.Log(s) / Math.Log(length)));
        return (theta, attention);
    }
}
