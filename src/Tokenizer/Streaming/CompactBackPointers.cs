namespace BytePiece.Streaming;

/// <summary>
/// The settled back pointers of a streaming lattice that are not committed yet (positions 1..<see cref="Count"/>
/// after the last commit point), stored losslessly as literal runs and periodic runs. Back-pointer chains
/// that never meet run side by side through a periodic stretch of text (a run of spaces, zeros, "ab"...),
/// where the back pointers themselves repeat with a short period: such a stretch is held as one period
/// and a length, so the exact path can still be read back however long it is.
/// </summary>
internal sealed class CompactBackPointers
{
    /// <summary>A run of positions [First, First + Length); periodic when Period &lt; Length (values repeat from Offset), else literal.</summary>
    private struct Segment
    {
        public long First;
        public long Length;
        public int Period;
        public int Offset;
        public bool Periodic;
    }

    private readonly int _maxPeriod;
    private Segment[] _segments = new Segment[8];
    private int _segmentCount;
    private int[] _values = new int[1024];
    private int _valueCount;
    private int _lastFound; // the segment the last lookup found (lookups walk backwards)

    /// <param name="maxPeriod">The longest period recognized.</param>
    public CompactBackPointers(int maxPeriod) => _maxPeriod = maxPeriod;

    /// <summary>How many values a new periodic run needs before it is recognized (and how far <see cref="Append"/> looks ahead).</summary>
    public int Lookahead => MinimumRun(_maxPeriod);

    /// <summary>Positions held: 1..Count.</summary>
    public long Count { get; private set; }

    /// <summary>Values and segments held, in ints (for the memory bound).</summary>
    public int Retained => _valueCount + 6 * _segmentCount;

    private static int MinimumRun(int period) => 2 * period + 16;

    /// <summary>Forgets everything (the path up to <see cref="Count"/> was committed).</summary>
    public void Clear()
    {
        _segmentCount = 0;
        _valueCount = 0;
        _lastFound = 0;
        Count = 0;
    }

    /// <summary>
    /// Appends the first <paramref name="settle"/> values of <paramref name="final"/> (consecutive positions
    /// from <see cref="Count"/> + 1); the values after them are final too and are only looked at to
    /// recognize a period that starts near the end.
    /// </summary>
    public void Append(ReadOnlySpan<int> final, int settle)
    {
        int i = 0;
        while (i < settle)
        {
            if (_segmentCount > 0 && _segments[_segmentCount - 1].Periodic)
            {
                // Extend the periodic run while the values follow its pattern.
                ref Segment run = ref _segments[_segmentCount - 1];
                int phase = (int)(run.Length % run.Period);
                ReadOnlySpan<int> pattern = _values.AsSpan(run.Offset, run.Period);
                int k = i;
                while (k < settle && final[k] == pattern[phase])
                {
                    k++;
                    if (++phase == run.Period) phase = 0;
                }
                run.Length += k - i;
                Count += k - i;
                i = k;
                if (i == settle) break;
            }
            // A period is stored whole, so it must end by the settle point (the window shifts by exactly that).
            int period = FindPeriod(final[i..]);
            if (period > 0 && i + period <= settle)
            {
                AddSegment(periodic: true, final.Slice(i, period));
                i += period;
                continue;
            }
            if (_segmentCount == 0 || _segments[_segmentCount - 1].Periodic) AddSegment(periodic: false, []);
            EnsureValues(1);
            _values[_valueCount++] = final[i];
            _segments[_segmentCount - 1].Length++;
            Count++;
            i++;
        }
    }

    /// <summary>The smallest period p that the values at the start of <paramref name="values"/> keep for a minimum run; 0 if none.</summary>
    private int FindPeriod(ReadOnlySpan<int> values)
    {
        for (int p = 1; p <= _maxPeriod; p++)
        {
            int run = MinimumRun(p);
            if (run > values.Length) return 0;
            int j = p;
            while (j < run && values[j] == values[j - p]) j++;
            if (j == run) return p;
        }
        return 0;
    }

    private void AddSegment(bool periodic, ReadOnlySpan<int> pattern)
    {
        if (_segmentCount == _segments.Length) Array.Resize(ref _segments, 2 * _segments.Length);
        EnsureValues(pattern.Length);
        pattern.CopyTo(_values.AsSpan(_valueCount));
        _segments[_segmentCount++] = new Segment { First = Count + 1, Length = pattern.Length, Period = pattern.Length, Offset = _valueCount, Periodic = periodic };
        _valueCount += pattern.Length;
        Count += pattern.Length;
    }

    private void EnsureValues(int more)
    {
        if (_valueCount + more > _values.Length) Array.Resize(ref _values, Math.Max(_valueCount + more, 2 * _values.Length));
    }

    /// <summary>The value at <paramref name="position"/> (1..<see cref="Count"/>).</summary>
    public int At(long position)
    {
        int s = Math.Min(_lastFound, _segmentCount - 1);
        while (_segments[s].First > position) s--;
        while (_segments[s].First + _segments[s].Length <= position) s++;
        _lastFound = s;
        ref Segment segment = ref _segments[s];
        long index = position - segment.First;
        return _values[segment.Offset + (int)(segment.Periodic ? index % segment.Period : index)];
    }
}
