using System.Numerics;

namespace BytePiece.LmTools.Sampling;

/// <summary>
/// Draws a token from logits the way Hugging Face's <c>generate(do_sample=True)</c> does: temperature,
/// then top-k, then top-p, then min-p, then a categorical draw (inverse CDF in double). Defaults are
/// Hugging Face's GenerationConfig defaults (note top-k 50 is on by default there). Temperature 0 means
/// greedy (argmax, ties to the lowest id). Immutable; the random source is the caller's.
/// </summary>
public sealed record LogitsSampler
{
    /// <summary>Which library's processor order (and top-k tie rule) to follow.</summary>
    public enum ProcessorOrder
    {
        /// <summary>Temperature, top-k (ties at the threshold kept), top-p, min-p: Hugging Face generate().</summary>
        HuggingFace,

        /// <summary>Top-k (exactly k), top-p, min-p, then temperature: llama.cpp's default sampler chain.</summary>
        LlamaCpp,
    }

    /// <summary>The processor order (Hugging Face by default).</summary>
    public ProcessorOrder Order { get; init; } = ProcessorOrder.HuggingFace;

    /// <summary>Temperature (0: greedy).</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Top-k (0: off). 50 by default, as in Hugging Face's GenerationConfig: set 0 to use top-p or min-p alone.</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Top-p (1: off). Applied after <see cref="TopK"/>, which stays 50 unless set: <c>new LogitsSampler { TopP = 0.9 }</c> keeps at most 50 tokens; add <c>TopK = 0</c> for top-p alone.</summary>
    public double TopP { get; init; } = 1;

    /// <summary>Min-p (0: off). Applied after <see cref="TopK"/> (50 unless set to 0) and top-p.</summary>
    public double MinP { get; init; }

    /// <summary>Tokens every filter keeps at least.</summary>
    public int MinTokensToKeep { get; init; } = 1;

    /// <summary>The processed distribution a draw comes from (probabilities, filtered tokens 0).</summary>
    public double[] Distribution<T>(ReadOnlySpan<T> logits) where T : IFloatingPointIeee754<T>
    {
        if (logits.IsEmpty) throw new ArgumentException("logits are empty", nameof(logits));
        T[] z = logits.ToArray();
        if (Temperature == 0)
        {
            var greedy = new double[z.Length];
            int best = 0;
            for (int i = 1; i < z.Length; i++) if (z[i] > z[best]) best = i;
            greedy[best] = 1;
            return greedy;
        }
        bool llama = Order == ProcessorOrder.LlamaCpp;
        if (!llama) LogitsProcessors.Temperature<T>(z, Temperature);
        LogitsProcessors.TopK<T>(z, TopK, MinTokensToKeep, keepTies: !llama);
        LogitsProcessors.TopP<T>(z, TopP, MinTokensToKeep);
        LogitsProcessors.MinP<T>(z, MinP, MinTokensToKeep);
        if (llama) LogitsProcessors.Temperature<T>(z, Temperature);
        return LogitsProcessors.Probabilities<T>(z);
    }

    /// <summary>Draws a token id with probability given by <see cref="Distribution"/>.</summary>
    public int Sample<T>(ReadOnlySpan<T> logits, Random random) where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        double[] p = Distribution(logits);
        double u = random.NextDouble();
        int last = -1;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0) continue;
            last = i;
            u -= p[i];
            if (u < 0) return i;
        }
        return last; // rounding left a sliver: the last token with mass
    }
}
