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

    /// <summary>Dynamic NTK (<c>dynamic</c>): NTK base grown with the sequence length beyond max_position_embeddings.</summary>
    Dynamic,

    /// <summary>Su's NTK-RoPE-mixed: θ_i · exp(-a (i+1)^b), a = ln factor / (d/2)^b.</summary>
    NtkMixed,

    /// <summary>YaRN (<c>yarn</c>), with Hugging Face's index ramp, truncation and attention factor.</summary>
    Yarn,

    /// <summary>Llama 3.1 (<c>llama3</c>): three wavelength bands.</summary>
    Llama3,

    /// <summary>LongRoPE / Phi-3 (<c>longrope</c>): per-pair short and long factors.</summary>
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
