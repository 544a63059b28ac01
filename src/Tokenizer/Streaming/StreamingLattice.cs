namespace BytePiece;

/// <summary>
/// One chunk's lattice, fed bytes as they arrive, committing tokens as soon as they are certain so that
/// memory stays bounded on a chunk of any length (a 1 GB line). Starts are processed only once the
/// walks from them cannot run past the bytes held, so the arrays fill exactly as in a whole-chunk pass
/// (same candidates, same order, same random draws). Every segmentation passes through a node of the
/// window (P − m, P] (P = starts processed, m = longest piece) whose back pointers are final; when all
/// their back-pointer chains meet at a node c, the path up to c is the same whatever follows, and is
/// committed. If they do not meet within <see cref="MaxWindow"/> bytes, the lattice cuts at the window's
/// best node: the only case where streaming may differ from whole-text encoding (counted in
/// <see cref="ForcedCuts"/>).
/// </summary>
internal sealed class StreamingLattice
{
    private const int CommitInterval = 1024;

    private readonly UnigramModel _model;
    private readonly bool _sample;
    private SamplerPass _pass;
    private CounterRng _rng;
    private byte[] _bytes = new byte[1 << 12];
    private double[] _a = new double[(1 << 12) + 1];
    private double[] _b = new double[(1 << 12) + 1];
    private int[] _back = new int[(1 << 12) + 1];
    private int _length;     // bytes held, from the last commit point
    private int _processed;  // starts processed, from the last commit point
    private int _lastTry;
    private long _consumed;  // bytes of the chunk before the last commit point

    public StreamingLattice(UnigramModel model, SamplingOptions? sampling, long chunkIndex, int maxWindow)
    {
        _model = model;
        MaxWindow = Math.Max(maxWindow, 4 * model.MaxPieceLength + CommitInterval);
        _sample = sampling is { IsViterbi: false };
        if (_sample)
        {
            _pass = new SamplerPass(model, sampling!.Value.Alpha);
            _rng = sampling.Value.RngForChunk(chunkIndex);
            _pass.Reset(_a, _b);
        }
        else
        {
            _a[0] = 0;
            _a.AsSpan(1).Fill(double.NegativeInfinity);
        }
    }

    /// <summary>Bytes a chain may span before the lattice cuts.</summary>
    public int MaxWindow { get; }

    /// <summary>How many times the chains did not meet within <see cref="MaxWindow"/>.</summary>
    public int ForcedCuts { get; private set; }

    /// <summary>Bytes held now (for the memory bound).</summary>
    public int Retained => _length;

    /// <summary>Adds bytes of the chunk and appends the ids that became certain to <paramref name="output"/>.</summary>
    public void Append(ReadOnlySpan<byte> data, List<int> output)
    {
        while (!data.IsEmpty)
        {
            int take = Math.Min(data.Length, 1 << 16); // commit as we go, so a huge append stays bounded too
            Ensure(_length + take);
            data[..take].CopyTo(_bytes.AsSpan(_length));
            _length += take;
            data = data[take..];
            int safe = _length - _model.MaxPieceLength; // walks from earlier starts end inside the bytes held
            if (safe > _processed)
            {
                Process(_processed, safe);
                _processed = safe;
            }
            if (_processed - _lastTry >= CommitInterval) TryCommit(output);
        }
    }

    /// <summary>The chunk is complete: appends the remaining ids.</summary>
    public void Finish(List<int> output)
    {
        Process(_processed, _length);
        _processed = _length;
        Emit(_length, output);
    }

    private void Process(int from, int to)
    {
        ReadOnlySpan<byte> held = _bytes.AsSpan(0, _length);
        if (_sample) _pass.ProcessStarts(held, _a, _b, _back, from, to, ref _rng);
        else Viterbi.ProcessStarts(_model, held, _a, _back, from, to);
    }

    private int Parent(int e) => e - _model.PieceLength(_model.Trie.PieceAt[_back[e]]);

    private void TryCommit(List<int> output)
    {
        _lastTry = _processed;
        int p = _processed;
        int c = p;
        for (int x = Math.Max(0, p - _model.MaxPieceLength + 1); x < p && c > 0; x++)
        {
            int y = x;
            while (c != y)
            {
                if (c > y) c = Parent(c);
                else y = Parent(y);
            }
        }
        if (c > 0)
        {
            Emit(c, output);
            Shift(c);
        }
        else if (_length > MaxWindow)
        {
            ForceCut(output);
        }
    }

    /// <summary>Cuts at the window node with the highest forward value and restarts the pass there.</summary>
    private void ForceCut(List<int> output)
    {
        int p = _processed, cut = p;
        for (int x = Math.Max(1, p - _model.MaxPieceLength + 1); x <= p; x++)
            if (Value(x) > Value(cut)) cut = x;
        Emit(cut, output);
        Shift(cut);
        // Forget what was computed past the cut (it mixed paths that did not go through it).
        if (_sample)
        {
            _pass.Clear(_a.AsSpan(1, _length), _b.AsSpan(1, _length));
        }
        else
        {
            _a.AsSpan(1, _length).Fill(double.NegativeInfinity);
        }
        _processed = 0;
        _lastTry = 0;
        ForcedCuts++;
    }

    private double Value(int x) => _sample ? _pass.LogZ(_a, _b, x, _consumed + x) : _a[x];

    /// <summary>Appends the ids of the path from the last commit point to <paramref name="end"/>.</summary>
    private void Emit(int end, List<int> output)
    {
        int start = output.Count;
        for (int e = end; e > 0; e = Parent(e)) output.Add(_model.IdOfPiece(_model.Trie.PieceAt[_back[e]]));
        output.Reverse(start, output.Count - start);
    }

    /// <summary>Drops everything before <paramref name="c"/>, which becomes position 0.</summary>
    private void Shift(int c)
    {
        int keep = _length - c;
        Array.Copy(_bytes, c, _bytes, 0, keep);
        Array.Copy(_a, c, _a, 0, keep + 1);
        Array.Copy(_b, c, _b, 0, keep + 1);
        Array.Copy(_back, c, _back, 0, keep + 1);
        ClearEmpty(keep + 1, _length + 1);
        _length = keep;
        _processed -= c;
        _lastTry = Math.Max(0, _lastTry - c);
        _consumed += c;
    }

    private void Ensure(int length)
    {
        if (_bytes.Length >= length) return;
        int old = _a.Length;
        int size = Math.Max(length, _bytes.Length * 2);
        Array.Resize(ref _bytes, size);
        Array.Resize(ref _a, size + 1);
        Array.Resize(ref _b, size + 1);
        Array.Resize(ref _back, size + 1);
        ClearEmpty(old, size + 1);
    }

    /// <summary>Marks positions [from, to) as not reached yet.</summary>
    private void ClearEmpty(int from, int to)
    {
        if (from >= to) return;
        if (_sample) _pass.Clear(_a.AsSpan(from, to - from), _b.AsSpan(from, to - from));
        else _a.AsSpan(from, to - from).Fill(double.NegativeInfinity);
    }
}
