namespace BytePiece.LmTools.Rope;

/// <summary>Position-dependent helpers that go with RoPE context extension: log-n query scaling and (Leaky) ReRoPE distance maps.</summary>
public static class PositionScaling
{
    /// <summary>
    /// Su's log-n query scale for a model trained on <paramref name="trainingLength"/> tokens:
    /// max(1, log_L(n)) with n = position + 1 (1 at and below the training length).
    /// </summary>
    public static double LogN(long position, int trainingLength)
    {
        if (trainingLength < 2) throw new ArgumentOutOfRangeException(nameof(trainingLength), trainingLength, "training length must be at least 2");
        return Math.Max(1, Math.Log(position + 1) / Math.Log(trainingLength));
    }

    /// <summary>ReRoPE's relative distance: min(r, window).</summary>
    public static double ReRope(double distance, double window) => Math.Min(distance, window);

    /// <summary>Leaky ReRoPE's relative distance: r below the window, window + (r − window)/k beyond it.</summary>
    public static double LeakyReRope(double distance, double window, double k)
    {
        if (!(k > 0)) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be > 0");
        return distance < window ? distance : window + (distance - window) / k;
    }
}
