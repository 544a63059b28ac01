namespace BytePiece.Training;

/// <summary>
/// Counts of n-grams (keys from <see cref="NGramKey"/>, never 0) in an open-addressing table with linear
/// probing: 16 bytes per slot, at most half full. When it would grow past its memory share, the owner
/// drains it into a sorted run (see <see cref="NGramRun"/>) and starts again: counts are summed exactly
/// when the runs are merged, so spilling never changes a result.
/// </summary>
internal sealed class NGramCountTable
{
    private ulong[] _keys;
    private long[] _counts;
    private int _shift;

    /// <summary>A table with room for <paramref name="capacity"/> slots (a power of two, at least 1024).</summary>
    public NGramCountTable(int capacity = 1 << 16)
    {
        capacity = Math.Max(1024, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _keys = new ulong[capacity];
        _counts = new long[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
    }

    /// <summary>Distinct n-grams held.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held by the slot arrays.</summary>
    public long MemoryBytes => 16L * _keys.Length;

    /// <summary>Bytes the table would hold after its next growth.</summary>
    public long MemoryAfterGrowth => 2 * MemoryBytes;

    /// <summary>Whether the next insertion of a new key grows the table.</summary>
    public bool IsFull => 2 * (Count + 1) > _keys.Length;

    /// <summary>Adds <paramref name="delta"/> to the count of <paramref name="key"/>.</summary>
    public void Add(ulong key, long delta)
    {
        ulong[] keys = _keys;
        int mask = keys.Length - 1;
        int slot = (int)(NGramKey.Hash(key) >> _shift);
        while (true)
        {
            ulong k = keys[slot];
            if (k == key) { _counts[slot] += delta; return; }
            if (k == 0) break;
            slot = (slot + 1) & mask;
        }
        if (IsFull)
        {
            Grow();
            Add(key, delta);
            return;
        }
        keys[slot] = key;
        _counts[slot] = delta;
        Count++;
    }

    /// <summary>The count of <paramref name="key"/>, 0 if absent.</summary>
    public long Get(ulong key)
    {
        ulong[] keys = _keys;
        int mask = keys.Length - 1;
        for (int slot = (int)(NGramKey.Hash(key) >> _shift); ; slot = (slot + 1) & mask)
        {
            ulong k = keys[slot];
            if (k == key) return _counts[slot];
            if (k == 0) return 0;
        }
    }

    /// <summary>Moves every entry into a run sorted by key and empties the table (keeping its size).</summary>
    public NGramRun DrainSorted()
    {
        var keys = new ulong[Count];
        var counts = new long[Count];
        int n = 0;
        for (int slot = 0; slot < _keys.Length; slot++)
        {
            if (_keys[slot] == 0) continue;
            keys[n] = _keys[slot];
            counts[n++] = _counts[slot];
        }
        Array.Sort(keys, counts);
        Array.Clear(_keys);
        Count = 0;
        return new NGramRun(keys, counts);
    }

    private void Grow()
    {
        ulong[] oldKeys = _keys;
        long[] oldCounts = _counts;
        _keys = new ulong[oldKeys.Length * 2];
        _counts = new long[oldKeys.Length * 2];
        _shift--;
        Count = 0;
        for (int slot = 0; slot < oldKeys.Length; slot++)
            if (oldKeys[slot] != 0) Add(oldKeys[slot], oldCounts[slot]);
    }
}
