namespace BytePiece.LmTools.Losses;

/// <summary>How per-row losses of a batch are combined (PyTorch's names).</summary>
public enum Reduction
{
    /// <summary>The mean over rows whose target is not ignored (gradients scaled alike).</summary>
    Mean,

    /// <summary>The sum over rows whose target is not ignored.</summary>
    Sum,

    /// <summary>No combination: per-row values are written out; the returned value is their sum.</summary>
    None,
}
