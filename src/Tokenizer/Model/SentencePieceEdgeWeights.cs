using BytePiece.Lookup;

namespace BytePiece.Model;

/// <summary>
/// <see cref="EdgeWeights"/> for spm's lattice: <c>exp(alpha (score - c len))</c> per cell of both its tries
/// (bytes, and characters once that trie is built) and per unknown node by its length in bytes, with c the
/// mean per-byte score of the lattice's pieces. Every path covers the text's n bytes, so the factors
/// <c>exp(-alpha c len)</c> multiply to <c>exp(-alpha c n)</c> on each: the draw's distribution is unchanged.
/// Cached on the model for the last few alphas used: building them walks every cell of the tries (6-11 ms for
/// a 32k model) while a sentence takes microseconds, so callers that alternate a few alphas, or threads that
/// sample with different ones, must not rebuild them on every call (more alphas than the cache holds, in
/// rotation, would). When the weights would leave a
/// double's safe range, <see cref="Linear"/> is false and the sampler works in the log domain.
/// </summary>
internal sealed class SentencePieceEdgeWeights
{
    /// <summary>An unknown node covers one character: at most 4 bytes.</summary>
    private const int MaxUnknownLength = 4;

    /// <summary>How many alphas a model keeps weights for (each costs two arrays the size of the tries' score arrays).</summary>
    private const int CachedAlphas = 4;

    private readonly SentencePieceModel _model;
    private readonly double[] _bytes;
    private double[]? _chars;

    public double Alpha { get; }

    /// <summary>c: the mean per-byte score of the lattice's pieces.</summary>
    public double PerByte { get; }

    /// <summary>Whether every weight fits the linear path (else the arrays are not to be used).</summary>
    public bool Linear { get; }

    /// <summary>The weight of an unknown node of each length in bytes (index 1 to 4).</summary>
    public double[] Unknown { get; }

    /// <summary>The longest piece in bytes, and at least an unknown's 4: no edge reaches farther from its start.</summary>
    public int Window { get; }

    private SentencePieceEdgeWeights(SentencePieceModel model, double alpha)
    {
        _model = model;
        Alpha = alpha;
        PieceTrie trie = model.Trie;
        double c = PerByte = EdgeWeights.MeanPerByte(trie, PieceLength);
        var range = new EdgeWeights.ExponentRange();
        _bytes = EdgeWeights.CellWeights(trie, PieceLength, alpha, c, ref range);
        // spm scores an unknown min score - 10 as a float sum; the sampler has always read it so.
        double unknownScore = model.MinScore - 10f;
        Unknown = new double[MaxUnknownLength + 1];
        for (int length = 1; length <= MaxUnknownLength; length++) Unknown[length] = range.Exp(alpha * (unknownScore - c * length));
        Linear = range.Fits;
        int window = MaxUnknownLength;
        foreach (int p in trie.PieceAt) if (p >= 0) window = Math.Max(window, PieceLength(p));
        Window = window;
    }

    private int PieceLength(int trieIndex) => _model.GetPieceBytes(_model.TrieIds[trieIndex]).Length;

    /// <summary>The weights for <paramref name="alpha"/>: cached, or built and put first in the cache (copied on write, so readers need no lock).</summary>
    public static SentencePieceEdgeWeights For(SentencePieceModel model, double alpha)
    {
        SentencePieceEdgeWeights[] cached = model.EdgeWeightsCache;
        foreach (SentencePieceEdgeWeights weights in cached)
            if (weights.Alpha.Equals(alpha)) return weights;
        var built = new SentencePieceEdgeWeights(model, alpha);
        model.EdgeWeightsCache = [built, .. cached.AsSpan(0, Math.Min(cached.Length, CachedAlphas - 1))];
        return built;
    }

    /// <summary>
    /// The weights per cell of <paramref name="trie"/>, the model's byte trie or its character trie (0 where no piece
    /// ends). The character trie's are made on first use (a model that only sees ASCII-heavy text never builds
    /// that trie); its pieces are a subset of the byte trie's, so their exponents lie in the range already checked.
    /// </summary>
    public double[] CellWeights(PieceTrie trie)
    {
        if (ReferenceEquals(trie, _model.Trie)) return _bytes;
        if (Volatile.Read(ref _chars) is { } chars) return chars;
        var range = new EdgeWeights.ExponentRange();
        double[] built = EdgeWeights.CellWeights(trie, PieceLength, Alpha, PerByte, ref range);
        return Interlocked.CompareExchange(ref _chars, built, null) ?? built;
    }
}
