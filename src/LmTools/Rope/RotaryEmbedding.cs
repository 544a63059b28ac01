using System.Numerics;

namespace BytePiece.LmTools.Rope;

/// <summary>
/// Applies rotary position embeddings in place. Angles m·θ_i are formed in double (float32 angles drift
/// by up to 5e-3 radians at position 100,000), then the pair (a, b) becomes
/// (a cos φ − b sin φ, a sin φ + b cos φ), times the attention factor. Only the first
/// <c>2 · θ.Length</c> components of a head rotate (partial rotary); the rest pass through.
/// Immutable and thread-safe.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] _theta;

    /// <summary>Creates the embedding from inverse frequencies, an attention factor and a pair layout.</summary>
    public RotaryEmbedding(IReadOnlyList<double> inverseFrequencies, double attentionFactor, RopeLayout layout)
    {
        ArgumentNullException.ThrowIfNull(inverseFrequencies);
        if (inverseFrequencies.Count == 0) throw new ArgumentException("at least one frequency is needed", nameof(inverseFrequencies));
        _theta = [.. inverseFrequencies];
        AttentionFactor = attentionFactor;
        Layout = layout;
    }

    /// <summary>Creates the embedding for parameters (see <see cref="RopeFrequencies.Compute"/>).</summary>
    public static RotaryEmbedding Create(RopeParameters parameters, RopeLayout layout, int sequenceLength = 0)
    {
        var (theta, attention) = RopeFrequencies.Compute(parameters, sequenceLength);
        return new RotaryEmbedding(theta, attention, layout);
    }

    /// <summary>Rotated dimensions (2 × number of frequencies).</summary>
    public int RotaryDim => 2 * _theta.Length;

    /// <summary>Multiplies cos and sin (so attention logits scale by its square).</summary>
    public double AttentionFactor { get; }

    /// <summary>The pair layout.</summary>
    public RopeLayout Layout { get; }

    /// <summary>The inverse frequencies θ_i.</summary>
    public ReadOnlySpan<double> InverseFrequencies => _theta;

    /// <summary>cos(m θ_i)·factor and sin(m θ_i)·factor for one position (double angles), i = 0 … d/2 − 1.</summary>
    public void CosSin(double position, Span<double> cos, Span<double> sin)
    {
        for (int i = 0; i < _theta.Length; i++)
        {
            (double s, double c) = Math.SinCos(position * _theta[i]);
            cos[i] = c * AttentionFactor;
            sin[i] = s * AttentionFactor;
        }
    }

    /// <summary>cos and sin tables [positions × d/2] (angles in double, values times the attention factor, stored as float).</summary>
    public (float[] Cos, float[] Sin) Tables(int positions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(positions);
        int half = _theta.Length;
        var cosTable = new float[positions * half];
        var sinTable = new float[positions * half];
        Span<double> cos = stackalloc double[half], sin = stackalloc double[half];
        for (int m = 0; m < positions; m++)
        {
            CosSin(m, cos, sin);
            for (int i = 0; i < half; i++)
            {
                cosTable[m * half + i] = (float)cos[i];
                sinTable[m * half + i] = (float)sin[i];
            }
        }
        return (cosTable, sinTable);
    }

    /// <summary>Rotates one head vector to <paramref name="position"/> (negative positions rotate back).</summary>
    /// <exception cref="ArgumentException">The head is shorter than the rotary dimension.</exception>
    public void Rotate<T>(Span<T> head, double position) where T : IFloatingPointIeee754<T>
    {
        Span<double> cos = stackalloc double[_theta.Length], sin = stackalloc double[_theta.Length];
        CosSin(position, cos, sin);
        Apply(head, cos, sin);
    }

    /// <summary>Rotates a [tokens × heads × headDim] buffer, token t to <paramref name="positions"/>[t] (cos/sin once per token).</summary>
    /// <exception cref="ArgumentException">The buffer's size does not match tokens × heads × headDim.</exception>
    public void Rotate<T>(Span<T> buffer, ReadOnlySpan<long> positions, int heads, int headDim) where T : IFloatingPointIeee754<T>
    {
        if ((long)positions.Length * heads * headDim != buffer.Length)
            throw new ArgumentException($"buffer has {buffer.Length} values, expected {positions.Length} tokens × {heads} heads × {headDim}", nameof(buffer));
        Span<double> cos = stackalloc double[_theta.Length], sin = stackalloc double[_theta.Length];
        for (int t = 0; t < positions.Length; t++)
        {
            CosSin(positions[t], cos, sin);
            for (int h = 0; h < heads; h++) Apply(buffer.Slice((t * heads + h) * headDim, headDim), cos, sin);
        }
    }

    /// <summary>(a, b) → (a cos − b sin, a sin + b cos) for every pair of the layout.</summary>
    private void Apply<T>(Span<T> head, ReadOnlySpan<double> cos, ReadOnlySpan<double> sin) where T : IFloatingPointIeee754<T>
    {
        if (head.Length < RotaryDim) throw new ArgumentException($"head has {head.Length} components, fewer than the rotary dimension {RotaryDim}", nameof(head));
        int half = _theta.Length;
        bool interleaved = Layout == RopeLayout.Interleaved;
        for (int i = 0; i < half; i++)
        {
            int ia = interleaved ? 2 * i : i;
            int ib = interleaved ? 2 * i + 1 : i + half;
            double a = double.CreateTruncating(head[ia]), b = double.CreateTruncating(head[ib]);
            head[ia] = T.CreateTruncating(a * cos[i] - b * sin[i]);
            head[ib] = T.CreateTruncating(a * sin[i] + b * cos[i]);
        }
    }
}
