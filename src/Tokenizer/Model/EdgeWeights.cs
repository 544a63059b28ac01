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
        double c = MeanPerByte(model.Trie, model.PieceLength);
        var range = new ExponentRange();
        double[] cell = CellWeights(model.Trie, model.PieceLength, alpha, c, ref range);
        return new EdgeWeights(alpha, c, range.Fits ? cell : null);
    }

    /// <summary>The mean over the trie's pieces of score / length in bytes (0 without pieces).</summary>
    internal static double MeanPerByte(PieceTrie trie, Func<int, int> pieceLength)
    {
        double perByteSum = 0;
        int pieces = 0;
        for (int t = 0; t < trie.Scores.Length; t++)
        {
            int p = trie.PieceAt[t];
            if (p < 0) continue;
            perByteSum += trie.Scores[t] / pieceLength(p);
            pieces++;
        }
        return pieces == 0 ? 0 : perByteSum / pieces;
    }

    /// <summary>
    /// <c>exp(alpha (score - perByte len))</c> per cell of <paramref name="trie"/> (0 where no piece ends), the
    /// exponents widening <paramref name="range"/>.
    /// </summary>
    internal static double[] CellWeights(PieceTrie trie, Func<int, int> pieceLength, double alpha, double perByte, ref ExponentRange range)
    {
        var cell = new double[trie.Scores.Length];
        for (int t = 0; t < cell.Length; t++)
        {
            int p = trie.PieceAt[t];
            if (p < 0) continue;
            cell[t] = range.Exp(alpha * (trie.Scores[t] - perByte * pieceLength(p)));
        }
        return cell;
    }

    /// <summary>The smallest and largest exponent of a set of weights, and whether they fit the linear path.</summary>
    internal struct ExponentRange()
    {
        private double _min = double.PositiveInfinity, _max = double.NegativeInfinity;

        /// <summary>exp(<paramref name="exponent"/>), noting the exponent.</summary>
        public double Exp(double exponent)
        {
            _min = Math.Min(_min, exponent);
            _max = Math.Max(_max, exponent);
            return Math.Exp(exponent);
        }

        /// <summary>
        /// Whether every weight is within e^±150 (a position's sum then stays far from a double's limits between
        /// rescalings) and the spread is at most <see cref="MaxSpread"/> (the smallest weight keeps its bits beside the largest).
        /// </summary>
        public readonly bool Fits => _max - _min <= MaxSpread && _max <= MaxSpread / 2 && _min >= -MaxSpread / 2;
    }
}
