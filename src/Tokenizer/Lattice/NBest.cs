namespace BytePiece;

/// <summary>
/// The k most probable segmentations, exactly, in a total, deterministic order: by score (left-to-right
/// double sums of logp), then by the longer last piece, then by the prefix's own rank among the paths to
/// its end, then by edge index (the first is Viterbi's path). Lazy (Jiménez and Marzal's recursive
/// enumeration): a forward pass gives every position its best path; the next path to a position is the
/// best of a heap holding, per edge into it, the next unused prefix of that edge's start, and asking for
/// it asks the start for one more path only when the edge just used needs it. The k paths cost about
/// k log k heap steps per position they pass through, and the state holds only the paths found, never k
/// per position: a long text with small k keeps a few numbers per position.
/// </summary>
internal sealed class NBest
{
    /// <summary>A path to a position: its score, its last edge, and the rank of its prefix among the paths to that edge's start.</summary>
    private readonly record struct Path(double Score, int Edge, int PrefixRank);

    private readonly LatticeGraph _g;
    private readonly int[] _inFirst, _inEdges, _edgeStart;
    private readonly double[] _bestScore; // rank 0 of each position (NaN: unreachable)
    private readonly int[] _bestEdge;     // its last edge (-1 at position 0, and where unreachable)
    private readonly Dictionary<int, Ranks> _more = []; // ranks 1, 2, ... of the positions asked for them
    private readonly Stack<(int Position, int Rank)> _asks = new();

    /// <summary>The paths of rank 1 and more to one position, and the candidates for the next.</summary>
    private sealed class Ranks
    {
        public readonly List<Path> Found = [];
        public readonly PriorityQueue<Path, (double Score, int Start, int PrefixRank, int Edge)> Candidates = new(Order.Instance);
        public bool Started, SuccessorQueued, Exhausted;
    }

    public NBest(LatticeGraph g)
    {
        _g = g;
        (_inFirst, _inEdges, _edgeStart) = g.EdgesByEnd();
        int n = g.Length;
        _bestScore = new double[n + 1];
        _bestEdge = new int[n + 1];
        _bestScore.AsSpan(1).Fill(double.NaN);
        _bestEdge.AsSpan().Fill(-1);
        // Ends receive candidates from increasing starts, edges in index order; only a strictly greater
        // score replaces the holder, which is the order's tie rule for rank 0.
        for (int s = 0; s < n; s++)
        {
            double from = _bestScore[s];
            if (double.IsNaN(from)) continue;
            for (int edge = g.First[s]; edge < g.First[s + 1]; edge++)
            {
                int e = g.End[edge];
                double candidate = from + g.Score[edge];
                if (double.IsNaN(_bestScore[e]) || candidate > _bestScore[e])
                {
                    _bestScore[e] = candidate;
                    _bestEdge[e] = edge;
                }
            }
        }
    }

    /// <summary>Up to <paramref name="k"/> segmentations (piece indices, in order) with their log-probabilities, best first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The text has so many segmentations that <paramref name="k"/> of them cannot fit in memory.</exception>
    public static List<(int[] Pieces, double LogProb)> Run(LatticeGraph g, int k, CancellationToken cancellationToken = default)
    {
        var search = new NBest(g);
        search.CheckFits(k);
        var result = new List<(int[], double)>();
        for (int rank = 0; rank < k && search.TryGet(rank, out int[]? pieces, out double score, cancellationToken); rank++)
        {
            result.Add((pieces, score));
            cancellationToken.ThrowIfCancellationRequested();
        }
        return result;
    }

    /// <summary>
    /// Refuses a k whose results cannot fit: when the text has more segmentations than k, the k results
    /// hold at least k times the fewest pieces a segmentation has, plus the search's own few dozen bytes per result.
    /// </summary>
    public void CheckFits(int k)
    {
        int n = _g.Length;
        var count = new double[n + 1];
        var fewest = new int[n + 1];
        count[0] = 1;
        fewest.AsSpan(1).Fill(int.MaxValue);
        for (int s = 0; s < n; s++)
        {
            if (count[s] == 0) continue;
            for (int edge = _g.First[s]; edge < _g.First[s + 1]; edge++)
            {
                int e = _g.End[edge];
                count[e] += count[s]; // saturates at infinity, which is as good
                fewest[e] = Math.Min(fewest[e], fewest[s] + 1);
            }
        }
        double results = Math.Min(k, count[n]);
        double bytes = results * (4.0 * fewest[n] + 128);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (results > Array.MaxLength || bytes > available)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"the text has {(double.IsInfinity(count[n]) ? "more than 1e308" : count[n].ToString("G3", System.Globalization.CultureInfo.InvariantCulture))} segmentations; "
                + $"the best {k:N0} of them would need about {bytes / (1 << 30):N1} GB, more than the {available / (double)(1 << 30):N1} GB available: ask for fewer");
    }

    /// <summary>The segmentation of the given rank (asked for in increasing ranks), or false when there are no more.</summary>
    public bool TryGet(int rank, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out int[]? pieces, out double score, CancellationToken cancellationToken = default)
    {
        int n = _g.Length;
        pieces = null;
        score = 0;
        if (!TryPath(n, rank, cancellationToken, out Path path)) return false;
        score = path.Score;
        var reversed = new List<int>();
        for (int position = n; position > 0;)
        {
            reversed.Add(_g.Piece[path.Edge]);
            position = _edgeStart[path.Edge];
            Known(position, path.PrefixRank, out path); // a path's prefix was found before it
        }
        reversed.Reverse();
        pieces = [.. reversed];
        return true;
    }

    /// <summary>The path of the given rank to a position, found first if it is the next one there.</summary>
    private bool TryPath(int position, int rank, CancellationToken cancellationToken, out Path path)
    {
        if (rank > 0 && position > 0 && !double.IsNaN(_bestScore[position])) Find(position, rank, cancellationToken);
        return Known(position, rank, out path);
    }

    /// <summary>The path of the given rank to a position if it has been found (rank 0 always has, where the position is reachable).</summary>
    private bool Known(int position, int rank, out Path path)
    {
        if (rank == 0)
        {
            path = new Path(position == 0 ? 0 : _bestScore[position], _bestEdge[position], 0);
            return !double.IsNaN(path.Score);
        }
        path = default;
        if (!_more.TryGetValue(position, out Ranks? ranks) || rank > ranks.Found.Count) return false;
        path = ranks.Found[rank - 1];
        return true;
    }

    /// <summary>
    /// Finds paths to <paramref name="position"/> up to <paramref name="rank"/> (or until there are no more),
    /// with an explicit stack of asks instead of recursion: a path's successor from the same edge may need a
    /// new path at the edge's start, which may need one at its own, and so on down the text.
    /// </summary>
    private void Find(int position, int rank, CancellationToken cancellationToken)
    {
        int depth = _asks.Count;
        _asks.Push((position, rank));
        long steps = 0;
        while (_asks.Count > depth)
        {
            var ask = _asks.Peek();
            if ((++steps & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            int v = ask.Position;
            if (!_more.TryGetValue(v, out Ranks? ranks)) _more[v] = ranks = new Ranks();
            if (ranks.Exhausted || ranks.Found.Count >= ask.Rank)
            {
                _asks.Pop();
                continue;
            }
            // The next path here is rank Found.Count + 1; the last one found came from `last`.
            int lastRank = ranks.Found.Count;
            Path last = lastRank == 0 ? new Path(_bestScore[v], _bestEdge[v], 0) : ranks.Found[lastRank - 1];
            if (!ranks.Started)
            {
                // Every edge in offers its start's best path, except the edge of rank 0, whose next offer is queued below.
                for (int i = _inFirst[v]; i < _inFirst[v + 1]; i++)
                {
                    int edge = _inEdges[i], start = _edgeStart[edge];
                    if (edge == _bestEdge[v] || double.IsNaN(_bestScore[start])) continue;
                    Offer(ranks, new Path(_bestScore[start] + _g.Score[edge], edge, 0), start);
                }
                ranks.Started = true;
            }
            if (!ranks.SuccessorQueued)
            {
                // The edge just used offers its start's next prefix, which that start may have to find first.
                int start = _edgeStart[last.Edge], next = last.PrefixRank + 1;
                if (start > 0 && (!_more.TryGetValue(start, out Ranks? before) || (!before.Exhausted && before.Found.Count < next)))
                {
                    _asks.Push((start, next));
                    continue;
                }
                if (Known(start, next, out Path prefix)) Offer(ranks, new Path(prefix.Score + _g.Score[last.Edge], last.Edge, next), start);
                ranks.SuccessorQueued = true;
            }
            if (ranks.Candidates.TryDequeue(out Path best, out _))
            {
                ranks.Found.Add(best);
                ranks.SuccessorQueued = false;
            }
            else ranks.Exhausted = true;
        }
    }

    private static void Offer(Ranks ranks, Path path, int start) => ranks.Candidates.Enqueue(path, (path.Score, start, path.PrefixRank, path.Edge));

    /// <summary>Higher score first, then the earlier start (the longer last piece), the better prefix, the lower edge index.</summary>
    private sealed class Order : IComparer<(double Score, int Start, int PrefixRank, int Edge)>
    {
        public static readonly Order Instance = new();

        public int Compare((double Score, int Start, int PrefixRank, int Edge) a, (double Score, int Start, int PrefixRank, int Edge) b)
        {
            if (a.Score != b.Score) return a.Score > b.Score ? -1 : 1;
            if (a.Start != b.Start) return a.Start.CompareTo(b.Start);
            if (a.PrefixRank != b.PrefixRank) return a.PrefixRank.CompareTo(b.PrefixRank);
            return a.Edge.CompareTo(b.Edge);
        }
    }
}
