using BytePiece.Lookup;

namespace BytePiece.Model;

/// <summary>
/// Per-cell edge weights <c>exp(alpha (logp - c len))</c> for one alpha, with c the mean per-byte logp
/// of the pieces so that weights stay near 1. Cached on the model for the last alpha used (immutable,
/// swapped atomically, so threads may share it). <see cref="Cell"/> is null when the weights would span
/// more than a double's safe range; the sampler then works in the log domain.
/// </summary>
internal sealed class EdgeWeights
{
    /// <summary>Largest spread of alpha (logp - c len), in nats, the linear path accepts (e^-300 ~ 2^-433).</summary>
    private const double MaxSpread = 300;

    public double Alpha { get; }
    public double PerByte { get; }
    public double[]? Cell { get; }

    private EdgeWeights(double alpha, double perByte, double[]? cell)
    {
        Alpha = alpha;
        PerByte = perByte;
        Cell = cell;
    }

    public static EdgeWeights For(UnigramModel model, double alpha)
    {
        EdgeWeights? cached = model.EdgeWeightsCache;
        if (cached is not null && cached.Alpha.Equals(alpha)) return cached;
        return model.EdgeWeightsCache = Build(model, alpha);
    }

    private static EdgeWeights Build(UnigramModel model, double alpha)
    {
        PieceTrie trie = model.Trie;
        double perByteSum = 0;
        int pieces = 0;
        for (int t = 0; t < trie.Scores.Length; t++)
        {
            int p = trie.PieceAt[t];
            if (p < 0) continue;
            perByteSum += trie.Scores[t] / model.PieceLength(p);
            pieces++;
        }
        double c = pieces == 0 ? 0 : perByteSum / pieces;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        var cell = new double[trie.Scores.Length];
        for (int t = 0; t < cell.Length; t++)
        {
            int p = trie.PieceAt[t];
            if (p < 0) continue;
            double exponent = alpha * (trie.Scores[t] - c * model.PieceLength(p));
            min = Math.Min(min, exponent);
            max = Math.Max(max, exponent);
            cell[t] = Math.Exp(exponent);
        }
        bool fits = max - min <= MaxSpread && max <= MaxSpread / 2 && min >= -MaxSpread / 2;
        return new EdgeWeights(alpha, c, fits ? cell : null);
    }
}
