namespace BytePiece.LmTools.Rope;

/// <summary>How rotary frequencies are chosen; names follow Hugging Face's <c>rope_type</c> where it has one.</summary>
public enum RopeType
{
    /// <summary>Standard RoPE: θ_i = base^(-2i/d).</summary>
    Default,

    /// <summary>Position interpolation (<c>linear</c>): θ_i / factor.</summary>
    Linear,

    /// <summary>Static NTK-aware scaling: base' = base · factor^(d/(d-2)).</summary>
    Ntk,

    /// <summary>Dynamic NTK (<c>dynamic</c>): NTK base grown with the sequence length beyond max_position_embeddings (2048 when absent); see <see cref="RopeFrequencies.DynamicBase"/>.</summary>
    Dynamic,

    /// <summary>Su's NTK-RoPE-mixed (<c>ntk_mixed</c>, LmTools' own name): θ_i · exp(-a (i+1)^b), a = ln factor / (d/2)^b (<see cref="RopeFrequencies.NtkMixedRate"/>).</summary>
    NtkMixed,

    /// <summary>YaRN (<c>yarn</c>), with Hugging Face's index ramp (<see cref="RopeFrequencies.YarnCorrectionRange"/>), truncation and attention factor; reads original_max_position_embeddings, else max_position_embeddings.</summary>
    Yarn,

    /// <summary>Llama 3.1 (<c>llama3</c>): three wavelength bands; reads original_max_position_embeddings, else max_position_embeddings.</summary>
    Llama3,

    /// <summary>
    /// LongRoPE / Phi-3 (<c>longrope</c>): per-pair short and long factors (long beyond L). L is
    /// original_max_position_embeddings and s = max / original when it is given; else L is
    /// max_position_embeddings and s is <c>factor</c>. Attention factor sqrt(1 + ln s / ln L) for s &gt; 1.
    /// </summary>
    LongRope,
}

/// <summary>Which components of a head vector form the rotated pairs.</summary>
public enum RopeLayout
{
    /// <summary>Pair i = (x[2i], x[2i+1]) ("GPT-J style", Meta's original LLaMA, llama.cpp NORM).</summary>
    Interleaved,

    /// <summary>Pair i = (x[i], x[i + d/2]) ("GPT-NeoX style", Hugging Face <c>rotate_half</c>, llama.cpp NEOX).</summary>
    HalfSplit,
}
