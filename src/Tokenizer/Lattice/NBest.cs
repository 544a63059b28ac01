namespace BytePiece.Lattice;

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
    private readonly Stack<(int Position, int Rank)> _asks = new(0);

    // Ranks 1, 2, ... of the positions asked for them, in flat arrays (a long text asks at every position
    // its paths pass through): position p's state is _states[_stateOf[p] - 1]; its candidates, at most one
    // per edge into p, are a binary heap in _heap[Heap..Heap + in-degree); its paths of rank r >= 1 are
    // _found[Found + r - 1], a block that moves to the end of the array, doubled, when full.
    private int[]? _stateOf;
    private State[] _states = [];
    private int _stateCount;
    private Path[] _heap = [];
    private int _heapUsed;
    private Path[] _found = [];
    private int _foundUsed;

    private struct State
    {
        public int Heap, HeapCount, Found, FoundCount, FoundCapacity;
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
        if (results <= Array.MaxLength && bytes < 1 << 30) return; // fits anywhere: no need to ask the GC
        // Half of what the GC may use: the estimate counts the results, not the search's state around them.
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (results > Array.MaxLength || bytes > total / 2)
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"the text has {(double.IsInfinity(count[n]) ? "more than 1e308" : count[n].ToString("G3", System.Globalization.CultureInfo.InvariantCulture))} segmentations; "
                + $"the best {k:N0} of them would need about {bytes / (1 << 30):N1} GB, more than half the {total / (double)(1 << 30):N1} GB this process may use: ask for fewer");
    }

    /// <summary>The segmentation of the given rank (asked for in increasing ranks), or false when there are no more.</summary>
    public bool TryGet(int rank, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out int[]? pieces, out double score, CancellationToken cancellationToken = default)
    {
        int n = _g.Length;
        pieces = null;
        score = 0;
        if (!TryPath(n, rank, cancellationToken, out Path path)) return false;
        score = path.Score;
        // Walked twice, to count and then to fill from the end: a long path is written once, never regrown.
        int length = 0;
        Path at = path;
        for (int position = n; position > 0; length++)
        {
            position = _edgeStart[at.Edge];
            Known(position, at.PrefixRank, out at); // a path's prefix was found before it
        }
        pieces = new int[length];
        for (int position = n; position > 0;)
        {
            pieces[--length] = _g.Piece[path.Edge];
            position = _edgeStart[path.Edge];
            Known(position, path.PrefixRank, out path);
        }
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
        int state = _stateOf is null ? 0 : _stateOf[position];
        if (state == 0 || rank > _states[state - 1].FoundCount) return false;
        path = _found[_states[state - 1].Found + rank - 1];
        return true;
    }

    /// <summary>
    /// Finds paths to <paramref name="position"/> up to <paramref name="rank"/> (or until there are no more),
    /// with an explicit stack of asks instead of recursion: a path's successor from the same edge may need a
    /// new path at the edge's start, which may need one at its own, and so on down the text.
    /// </summary>
    private void Find(int position, int rank, CancellationToken cancellationToken)
    {
        if (_stateOf is null)
        {
            // The first asks run down the best path: room for a state at each of its positions from the start.
            _stateOf = new int[_g.Length + 1];
            int states = 16, candidates = 64;
            for (int at = position; at > 0 && _bestEdge[at] >= 0; at = _edgeStart[_bestEdge[at]], states++) candidates += _inFirst[at + 1] - _inFirst[at];
            _states = new State[states];
            _heap = new Path[candidates];
            _found = new Path[2 * states + 64];
        }
        int depth = _asks.Count;
        _asks.Push((position, rank));
        long steps = 0;
        while (_asks.Count > depth)
        {
            var ask = _asks.Peek();
            if ((++steps & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            int v = ask.Position;
            if (_stateOf[v] == 0) NewState(v);
            ref State st = ref _states[_stateOf[v] - 1];
            if (st.Exhausted || st.FoundCount >= ask.Rank)
            {
                _asks.Pop();
                continue;
            }
            // The next path here is rank FoundCount + 1; the last one found came from `last`.
            Path last = st.FoundCount == 0 ? new Path(_bestScore[v], _bestEdge[v], 0) : _found[st.Found + st.FoundCount - 1];
            if (!st.Started)
            {
                // Every edge in offers its start's best path, except the edge of rank 0, whose next offer is queued below.
                for (int i = _inFirst[v]; i < _inFirst[v + 1]; i++)
                {
                    int edge = _inEdges[i], start = _edgeStart[edge];
                    if (edge == _bestEdge[v] || double.IsNaN(_bestScore[start])) continue;
                    Push(ref st, new Path(_bestScore[start] + _g.Score[edge], edge, 0));
                }
                st.Started = true;
            }
            if (!st.SuccessorQueued)
            {
                // The edge just used offers its start's next prefix, which that start may have to find first.
                int start = _edgeStart[last.Edge], next = last.PrefixRank + 1;
                if (start > 0 && !Settled(start, next))
                {
                    _asks.Push((start, next));
                    continue;
                }
                if (Known(start, next, out Path prefix)) Push(ref st, new Path(prefix.Score + _g.Score[last.Edge], last.Edge, next));
                st.SuccessorQueued = true;
            }
            if (st.HeapCount == 0)
            {
                st.Exhausted = true;
                continue;
            }
            Path best = Pop(ref st);
            if (st.FoundCount == st.FoundCapacity) GrowFound(ref st);
            _found[st.Found + st.FoundCount++] = best;
            st.SuccessorQueued = false;
        }
    }

    /// <summary>Whether the path of the given rank to a position is found, or known not to exist.</summary>
    private bool Settled(int position, int rank)
    {
        int state = _stateOf![position];
        return state != 0 && (_states[state - 1].Exhausted || _states[state - 1].FoundCount >= rank);
    }

    private void NewState(int v)
    {
        if (_stateCount == _states.Length) Array.Resize(ref _states, Math.Max(16, 2 * _states.Length));
        int inDegree = _inFirst[v + 1] - _inFirst[v];
        if (_heapUsed + inDegree > _heap.Length) Array.Resize(ref _heap, Math.Max(Math.Max(64, 2 * _heap.Length), _heapUsed + inDegree));
        _states[_stateCount] = new State { Heap = _heapUsed, Found = -1 };
        _heapUsed += inDegree;
        _stateOf![v] = ++_stateCount;
    }

    /// <summary>Moves a full block of found paths to the end of the array with twice the room (the old block is left unused).</summary>
    private void GrowFound(ref State st)
    {
        int capacity = Math.Max(1, 2 * st.FoundCapacity);
        if (_foundUsed + capacity > _found.Length) Array.Resize(ref _found, Math.Max(Math.Max(64, 2 * _found.Length), _foundUsed + capacity));
        if (st.FoundCount > 0) Array.Copy(_found, st.Found, _found, _foundUsed, st.FoundCount);
        st.Found = _foundUsed;
        st.FoundCapacity = capacity;
        _foundUsed += capacity;
    }

    private void Push(ref State st, Path path)
    {
        Span<Path> heap = _heap.AsSpan(st.Heap, st.HeapCount + 1);
        int i = st.HeapCount++;
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Before(path, heap[parent])) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = path;
    }

    private Path Pop(ref State st)
    {
        Span<Path> heap = _heap.AsSpan(st.Heap, st.HeapCount);
        Path top = heap[0], moved = heap[^1];
        int count = --st.HeapCount, i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && Before(heap[child + 1], heap[child])) child++;
            if (!Before(heap[child], moved)) break;
            heap[i] = heap[child];
            i = child;
        }
        if (count > 0) heap[i] = moved;
        return top;
    }

    /// <summary>Whether a ranks before b among paths to the same position: higher score, then the earlier start (the longer last piece), the better prefix, the lower edge index.</summary>
    private bool Before(Path a, Path b)
    {
        if (a.Score != b.Score) return a.Score > b.Score;
        int startA = _edgeStart[a.Edge], startB = _edgeStart[b.Edge];
        if (startA != startB) return startA < startB;
        if (a.PrefixRank != b.PrefixRank) return a.PrefixRank < b.PrefixRank;
        return a.Edge < b.Edge;
    }
}
