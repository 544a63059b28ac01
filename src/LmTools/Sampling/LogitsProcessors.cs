using System.Numerics;

namespace BytePiece.LmTools.Sampling;

/// <summary>
/// Hugging Face's logits processors, in place; a filtered token's logit becomes −infinity. Each keeps at
/// least <c>minTokensToKeep</c> tokens (the most probable ones). Ordering ties break toward the lower id,
/// except in top-p, which follows Hugging Face's stable ascending sort (the higher id stays).
/// </summary>
public static class LogitsProcessors
{
    /// <summary>
    /// z / T, T &gt; 0 (T = 0, greedy, is the sampler's business). Each logit is divided by T rounded to the
    /// logits' type, as torch does on CPU (multiplying by 1/T would differ by an ulp).
    /// </summary>
    public static void Temperature<T>(Span<T> logits, double temperature) where T : IFloatingPointIeee754<T>
    {
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and > 0");
        T divisor = T.CreateTruncating(temperature);
        for (int i = 0; i < logits.Length; i++) logits[i] /= divisor;
    }

    /// <summary>
    /// Keeps the tokens whose logit is at least the k-th largest: ties at the threshold all stay (Hugging
    /// Face), or exactly k survive, ties to the lower id (<paramref name="keepTies"/> false, llama.cpp); k = 0 disables.
    /// </summary>
    public static void TopK<T>(Span<T> logits, int k, int minTokensToKeep = 1, bool keepTies = true) where T : IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return;
        k = Math.Min(Math.Max(k, minTokensToKeep), logits.Length);
        int[] order = Descending(logits);
        if (!keepTies)
        {
            for (int r = k; r < order.Length; r++) logits[order[r]] = T.NegativeInfinity;
            return;
        }
        T threshold = logits[order[k - 1]];
        for (int i = 0; i < logits.Length; i++) if (logits[i] < threshold) logits[i] = T.NegativeInfinity;
    }

    /// <summary>
    /// Keeps the smallest most-probable set whose mass reaches p; p = 1 disables. Hugging Face's procedure
    /// (<c>TopPLogitsWarper</c> on CPU): sort ascending, stably (equal logits by ascending id), accumulate
    /// probabilities and remove the tokens whose cumulative sum is at most 1 − p, except the last
    /// <paramref name="minTokensToKeep"/>. So among equal logits at the cut the lower id goes first and the
    /// higher id stays. Probabilities and sums are in double.
    /// </summary>
    public static void TopP<T>(Span<T> logits, double p, int minTokensToKeep = 1) where T : IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 1]");
        if (p == 1) return;
        double[] probabilities = Probabilities(logits);
        int[] order = Ascending(logits);
        double cumulative = 0;
        int removable = order.Length - minTokensToKeep;
        for (int r = 0; r < removable; r++)
        {
            cumulative += probabilities[order[r]];
            if (!(cumulative <= 1 - p)) break; // the sum only grows: nothing after this is removed either
            logits[order[r]] = T.NegativeInfinity;
        }
    }

    /// <summary>Removes tokens whose probability is below minP times the largest probability; minP = 0 disables.</summary>
    public static void MinP<T>(Span<T> logits, double minP, int minTokensToKeep = 1) where T : IFloatingPointIeee754<T>
    {
        if (!(minP >= 0 && minP <= 1)) throw new ArgumentOutOfRangeException(nameof(minP), minP, "min_p must be in [0, 1]");
        if (minP == 0) return;
        double[] probabilities = Probabilities(logits);
        double threshold = minP * probabilities.Max();
        int[] order = Descending(logits);
        for (int r = minTokensToKeep; r < order.Length; r++)
            if (probabilities[order[r]] < threshold) logits[order[r]] = T.NegativeInfinity;
    }

    /// <summary>CTRL's repetition penalty on every token present in <paramref name="context"/>: z/θ if z &gt; 0, else z·θ.</summary>
    public static void RepetitionPenalty<T>(Span<T> logits, ReadOnlySpan<int> context, double penalty) where T : IFloatingPointIeee754<T>
    {
        if (!(penalty > 0)) throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "penalty must be > 0");
        T theta = T.CreateTruncating(penalty);
        var seen = new HashSet<int>();
        foreach (int id in context)
        {
            if ((uint)id >= (uint)logits.Length || !seen.Add(id)) continue;
            logits[id] = logits[id] > T.Zero ? logits[id] / theta : logits[id] * theta;
        }
    }

    /// <summary>softmax of the logits in double (−infinity gives 0).</summary>
    public static double[] Probabilities<T>(ReadOnlySpan<T> logits) where T : IFloatingPointIeee754<T>
    {
        double max = double.NegativeInfinity;
        foreach (T z in logits) max = Math.Max(max, double.CreateTruncating(z));
        if (double.IsNegativeInfinity(max)) throw new ArgumentException("every token is filtered out", nameof(logits));
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(double.CreateTruncating(logits[i]) - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>Token ids by descending logit, ties by ascending id.</summary>
    private static int[] Descending<T>(ReadOnlySpan<T> logits) where T : IFloatingPointIeee754<T> => Sorted(logits, descending: true);

    /// <summary>Token ids by ascending logit, ties by ascending id (what a stable ascending sort gives).</summary>
    private static int[] Ascending<T>(ReadOnlySpan<T> logits) where T : IFloatingPointIeee754<T> => Sorted(logits, descending: false);

    private static int[] Sorted<T>(ReadOnlySpan<T> logits, bool descending) where T : IFloatingPointIeee754<T>
    {
        int[] order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        T[] copy = logits.ToArray();
        Array.Sort(order, (a, b) => copy[a] != copy[b] ? (descending ? copy[b].CompareTo(copy[a]) : copy[a].CompareTo(copy[b])) : a.CompareTo(b));
        return order;
    }
}
