using System.Numerics;

namespace BytePiece.LmTools.Losses;

/// <summary>
/// Numerically stable softmax and log-softmax in double, with the maximum subtracted first (a plain
/// exp(x)/sum overflows above ~88 in float32; <c>TensorPrimitives.SoftMax</c> does not subtract it).
/// </summary>
public static class Softmax
{
    /// <summary>Writes p = softmax(z) into <paramref name="probabilities"/> and returns logsumexp(z).</summary>
    public static double Compute<T>(ReadOnlySpan<T> logits, Span<double> probabilities) where T : IFloatingPointIeee754<T>
    {
        if (logits.IsEmpty) throw new ArgumentException("logits are empty", nameof(logits));
        double max = double.NegativeInfinity;
        foreach (T z in logits) max = Math.Max(max, double.CreateTruncating(z));
        if (!double.IsFinite(max)) throw new ArgumentException("logits must be finite", nameof(logits));
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double e = Math.Exp(double.CreateTruncating(logits[i]) - max);
            probabilities[i] = e;
            sum += e;
        }
        for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
        return max + Math.Log(sum);
    }
}
