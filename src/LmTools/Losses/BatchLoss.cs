using System.Numerics;

namespace BytePiece.LmTools.Losses;

/// <summary>A row loss: value, and its gradient written into the last argument.</summary>
public delegate double RowLoss<T>(ReadOnlySpan<T> logits, int target, Span<T> gradient) where T : IFloatingPointIeee754<T>;

/// <summary>Applies a row loss to [N × V] logits with PyTorch's conventions: ignoreIndex (−100) and a reduction.</summary>
public static class BatchLoss
{
    /// <summary>The target value that marks a row to skip (value 0, gradient 0).</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>
    /// Computes <paramref name="loss"/> on every row; rows whose target is <paramref name="ignoreIndex"/>
    /// get zero gradient and do not count. Mean divides the value and the gradients by the number of
    /// counted rows (0 when none). With <see cref="Reduction.None"/>, <paramref name="perRow"/> receives each
    /// row's value.
    /// </summary>
    public static double Compute<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int vocabulary, Span<T> gradient, RowLoss<T> loss,
        Reduction reduction = Reduction.Mean, int ignoreIndex = DefaultIgnoreIndex, Span<double> perRow = default)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (vocabulary < 1 || logits.Length != targets.Length * vocabulary || gradient.Length != logits.Length)
            throw new ArgumentException($"expected [{targets.Length} x {vocabulary}] logits and gradient");
        if (reduction == Reduction.None && perRow.Length != targets.Length) throw new ArgumentException("perRow must hold one value per row", nameof(perRow));
        double total = 0;
        int counted = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            Span<T> g = gradient.Slice(r * vocabulary, vocabulary);
            if (targets[r] == ignoreIndex)
            {
                g.Clear();
                if (reduction == Reduction.None) perRow[r] = 0;
                continue;
            }
            double value = loss(logits.Slice(r * vocabulary, vocabulary), targets[r], g);
            if (reduction == Reduction.None) perRow[r] = value;
            total += value;
            counted++;
        }
        if (reduction != Reduction.Mean) return total;
        if (counted == 0) return 0;
        T scale = T.CreateTruncating(1.0 / counted);
        for (int i = 0; i < gradient.Length; i++) gradient[i] *= scale;
        return total / counted;
    }
}
