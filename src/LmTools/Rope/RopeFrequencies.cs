namespace BytePiece.LmTools.Rope;

/// <summary>
/// Inverse frequencies θ_i (i = 0 … d/2 − 1) and the attention factor for each <see cref="RopeType"/>,
/// computed in double with Hugging Face's semantics (<c>modeling_rope_utils.py</c>). The attention factor
/// multiplies both cos and sin, so attention logits scale by its square.
/// </summary>
public static class RopeFrequencies
{
    /// <summary>Computes (θ, attention factor).</summary>
    /// <param name="p">The parameters.</param>
    /// <param name="sequenceLength">Current sequence length (max position + 1), used by Dynamic and LongRope.</param>
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

    private static double[] Dynamic(RopeParameters p, int sequenceLength)
    {
        int d = p.RotaryDim;
        double current = Math.Max(sequenceLength, p.MaxPositionEmbeddings);
        double grown = p.Base * Math.Pow(p.Factor * current / p.MaxPositionEmbeddings - (p.Factor - 1), d / (d - 2.0));
        return Default(grown, d);
    }

    private static double[] NtkMixed(RopeParameters p)
    {
        int d = p.RotaryDim;
        double b = p.MixedExponent;
        double a = Math.Log(p.Factor) / Math.Pow(d / 2.0, b);
        double[] theta = Default(p.Base, d);
        for (int i = 0; i < theta.Length; i++) theta[i] *= Math.Exp(-a * Math.Pow(i + 1, b));
        return theta;
    }

    private static (double[], double) Yarn(RopeParameters p)
    {
        int d = p.RotaryDim;
        double s = p.Factor, length = p.OriginalLength;
        double Correction(double rotations) => d * Math.Log(length / (rotations * 2 * Math.PI)) / (2 * Math.Log(p.Base));
        double low = Correction(p.BetaFast), high = Correction(p.BetaSlow);
        if (p.Truncate)
        {
            low = Math.Floor(low);
            high = Math.Ceiling(high);
        }
        low = Math.Max(low, 0);
        high = Math.Min(high, d - 1); // sic: d - 1, as Hugging Face clamps
        if (low == high) high += 0.001;
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
        double s = (double)p.MaxPositionEmbeddings / length;
        double attention = p.AttentionFactor ?? (s <= 1 ? 1 : Math.Sqrt(1 + Math.Log(s) / Math.Log(length)));
        return (theta, attention);
    }
}
