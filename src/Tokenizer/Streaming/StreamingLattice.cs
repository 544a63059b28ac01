using BytePiece.Lattice;

namespace BytePiece.Streaming;

/// <summary>
/// One chunk's lattice, fed bytes as they arrive, committing tokens as soon as they are certain so that
/// memory stays bounded on a chunk of any length (a 1 GB line). Starts are processed only once the
/// walks from them cannot run past the bytes held, so the arrays fill exactly as in a whole-chunk pass
/// (same candidates, same order, same random draws). Every segmentation passes through a node of the
/// window (P − m, P] (P = starts processed, m = longest piece) whose back pointers are final; when all
/// their back-pointer chains meet at a node c, the path up to c is the same whatever follows, and is
/// committed. Until they meet, the settled back pointers move out of the window into a
/// <see cref="CompactBackPointers"/>, which holds a periodic stretch (a long run of one byte, where
/// the chains run side by side) as one period: such runs stay exact in bounded memory. Only if what is
/// held exceeds <see cref="MaxWindow"/> (chains that do not meet over text whose back pointers do not
/// repeat, or sampling, whose drawn back pointers never repeat) does the lattice cut at the window's
/// best node: the only case where streaming may differ from whole-text encoding (counted in
/// <see cref="ForcedCuts"/>).
/// </summary>
internal sealed class StreamingLattice
{
    private const int CommitInterval = 1024;

    /// <summary>Bytes appended to the lattice between commit attempts at most.</summary>
    private const int Take = 1 << 12;

    private readonly UnigramModel _model;
    private readonly bool _sample;
    private readonly CompactBackPointers _settled;
    private readonly int _keep; // final back pointers kept in the window after settling (the frontier, and a look-ahead for periods)
    private SamplerPass _pass;
    private CounterRng _rng;
    private byte[] _bytes = new byte[1 << 12];
    private double[] _a = new double[(1 << 12) + 1];
    private double[] _b = new double[(1 << 12) + 1];
    private int[] _back = new int[(1 << 12) + 1];
    private int _length;     // bytes held in the window, from its position 0
    private int _processed;  // starts processed, from the window's position 0
    private int _lastTry;
    private long _consumed;  // bytes of the chunk before the window's position 0

    public StreamingLattice(UnigramModel model, SamplingOptions? sampling, long chunkIndex, int maxWindow)
    {
        _model = model;
        // Back pointers repeat with the period of the text (a byte, "ab"...) times at most the pieces' lengths.
        _settled = new CompactBackPointers(Math.Min(2 * model.MaxPieceLength, 256));
        _keep = Math.Max(model.MaxPieceLength, _settled.Lookahead);
        MaxWindow = Math.Max(maxWindow, 4 * (_keep + model.MaxPieceLength + Take + CommitInterval));
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

    /// <summary>Bytes and back pointers the lattice may hold (back-pointer chains not meeting) before it cuts.</summary>
    public int MaxWindow { get; }

    /// <summary>How many times the lattice had to cut because it held <see cref="MaxWindow"/>.</summary>
    public int ForcedCuts { get; private set; }

    /// <summary>Bytes held now (for the memory bound).</summary>
    public int Retained => _length + _settled.Retained;

    /// <summary>Adds bytes of the chunk and appends the ids that became certain to <paramref name="output"/>.</summary>
    public void Append(ReadOnlySpan<byte> data, List<int> output)
    {
        while (!data.IsEmpty)
        {
            int take = Math.Min(data.Length, Take); // commit as we go, so a huge append stays bounded too
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
        Emit(_settled.Count + _length, output);
    }

    private void Process(int from, int to)
    {
        ReadOnlySpan<byte> held = _bytes.AsSpan(0, _length);
        if (_sample) _pass.ProcessStarts(held, _a, _b, _back, from, to, ref _rng);
        else Viterbi.ProcessStarts(_model, held, _a, _back, from, to);
    }

    /// <summary>The node before window position <paramref name="e"/> on its best path (at or below 0: outside the window).</summary>
    private int Parent(int e) => e - _model.PieceLength(_model.Trie.PieceAt[_back[e]]);

    private void TryCommit(List<int> output)
    {
        _lastTry = _processed;
        int p = _processed;
        int c = p;
        for (int x = Math.Max(0, p - _model.MaxPieceLength + 1); x < p && c > 0; x++)
        {
            int y = x;
            while (c != y && c > 0 && y > 0)
            {
                if (c > y) c = Parent(c);
                else y = Parent(y);
            }
            if (c != y) c = 0; // a chain left the window before they met
        }
        if (c > 0)
        {
            Commit(c, output);
            return;
        }
        // No meeting point in the window: its settled back pointers move to the compact store.
        int settle = _processed - _keep;
        if (settle >= CommitInterval)
        {
            _settled.Append(_back.AsSpan(1, _processed), settle);
            Shift(settle);
        }
        if (Retained > MaxWindow) ForceCut(output);
    }

    /// <summary>Emits the path up to window position <paramref name="c"/>, which becomes the new commit point.</summary>
    private void Commit(int c, List<int> output)
    {
        Emit(_settled.Count + c, output);
        _settled.Clear();
        Shift(c);
    }

    /// <summary>Cuts at the window node with the highest forward value and restarts the pass there.</summary>
    private void ForceCut(List<int> output)
    {
        int p = _processed, cut = p;
        for (int x = Math.Max(1, p - _model.MaxPieceLength + 1); x <= p; x++)
            if (Value(x) > Value(cut)) cut = x;
        Commit(cut, output);
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

    /// <summary>
    /// Appends the ids of the path from the last commit point to <paramref name="end"/>, a position counted
    /// from the commit point (the settled back pointers come first, then the window's).
    /// </summary>
    private void Emit(long end, List<int> output)
    {
        int start = output.Count;
        long settled = _settled.Count;
        for (long e = end; e > 0;)
        {
            int piece = _model.Trie.PieceAt[e > settled ? _back[(int)(e - settled)] : _settled.At(e)];
            output.Add(_model.IdOfPiece(piece));
            e -= _model.PieceLength(piece);
        }
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
