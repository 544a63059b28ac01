namespace BytePiece.LmTools.Rope;

/// <summary>Position-dependent helpers that go with RoPE context extension: log-n query scaling and (Leaky) ReRoPE distance maps.</summary>
public static class PositionScaling
{
    /// <summary>
    /// Su's log-n query scale for the query at 0-based <paramref name="zeroBasedPosition"/> of a model trained
    /// on <paramref name="trainingLength"/> tokens: max(1, log_L(n)) where n = zeroBasedPosition + 1 is the
    /// number of tokens the query sees (1 up to position L − 1, the last one of the training length).
    /// </summary>
    /// <param name="zeroBasedPosition">The query's position, counted from 0 (not the length n).</param>
    /// <param name="trainingLength">The training length L (a length, at least 2).</param>
    public static double LogN(long zeroBasedPosition, int trainingLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(zeroBasedPosition);
        if (trainingLength < 2) throw new ArgumentOutOfRangeException(nameof(trainingLength), trainingLength, "training length must be at least 2");
        return Math.Max(1, Math.Log(zeroBasedPosition + 1) / Math.Log(trainingLength));
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
