using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace BytePiece.Training;

/// <summary>
/// Counts of byte strings: the strings live once each in one growing byte arena, the table holds
/// (offset, length, hash, count) per distinct string, and slots are indices into those arrays. About
/// 24 bytes per distinct string plus its bytes; no object per string.
/// </summary>
internal sealed class ByteStringCounter
{
    private byte[] _arena = new byte[1 << 16];
    private long _arenaUsed;
    private long[] _offsets = new long[1024];
    private int[] _lengths = new int[1024];
    private ulong[] _hashes = new ulong[1024];
    private long[] _counts = new long[1024];
    private int[] _slots = NewSlots(2048);

    /// <summary>Distinct strings.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held (arena and tables).</summary>
    public long MemoryBytes => _arena.Length + 28L * _offsets.Length + 4L * _slots.Length;

    /// <summary>Adds <paramref name="delta"/> to the count of <paramref name="key"/>.</summary>
    public void Add(ReadOnlySpan<byte> key, long delta)
    {
        ulong hash = Hash(key);
        int mask = _slots.Length - 1;
        int slot = (int)(hash & (ulong)mask);
        while (true)
        {
            int entry = _slots[slot];
            if (entry < 0) break;
            if (_hashes[entry] == hash && _lengths[entry] == key.Length && Bytes(entry).SequenceEqual(key))
            {
                _counts[entry] += delta;
                return;
            }
            slot = (slot + 1) & mask;
        }
        int index = Count;
        if (index == _offsets.Length) GrowEntries();
        if (_arenaUsed + key.Length > _arena.Length) GrowArena(key.Length);
        key.CopyTo(_arena.AsSpan(checked((int)_arenaUsed)));
        _offsets[index] = _arenaUsed;
        _lengths[index] = key.Length;
        _hashes[index] = hash;
        _counts[index] = delta;
        _arenaUsed += key.Length;
        _slots[slot] = index;
        Count++;
        if (2 * Count > _slots.Length) Rehash(2 * _slots.Length);
    }

    /// <summary>The count of <paramref name="key"/>, 0 if absent.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        ulong hash = Hash(key);
        int mask = _slots.Length - 1;
        for (int slot = (int)(hash & (ulong)mask); ; slot = (slot + 1) & mask)
        {
            int entry = _slots[slot];
            if (entry < 0) return 0;
            if (_hashes[entry] == hash && _lengths[entry] == key.Length && Bytes(entry).SequenceEqual(key)) return _counts[entry];
        }
    }

    /// <summary>The bytes of entry <paramref name="entry"/> (0..Count-1, in insertion order).</summary>
    public ReadOnlySpan<byte> Bytes(int entry) => _arena.AsSpan((int)_offsets[entry], _lengths[entry]);

    /// <summary>The count of entry <paramref name="entry"/>.</summary>
    public long CountOf(int entry) => _counts[entry];

    /// <summary>Adds every count of <paramref name="other"/> into this counter.</summary>
    public void AddAll(ByteStringCounter other)
    {
        for (int e = 0; e < other.Count; e++) Add(other.Bytes(e), other._counts[e]);
    }

    /// <summary>Entries sorted by their bytes (a deterministic order, whatever the insertion order was).</summary>
    public int[] SortedEntries()
    {
        var order = new int[Count];
        for (int e = 0; e < order.Length; e++) order[e] = e;
        Array.Sort(order, (a, b) => Bytes(a).SequenceCompareTo(Bytes(b)));
        return order;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Hash(ReadOnlySpan<byte> key)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)key.Length;
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
            h = (System.Numerics.BitOperations.RotateLeft(h, 23) ^ BinaryPrimitives.ReadUInt64LittleEndian(key[i..])) * 0xBF58476D1CE4E5B9UL;
        ulong tail = 0;
        for (int t = key.Length - 1; t >= i; t--) tail = (tail << 8) | key[t];
        h = (System.Numerics.BitOperations.RotateLeft(h, 23) ^ tail) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    private static int[] NewSlots(int size)
    {
        var slots = new int[size];
        Array.Fill(slots, -1);
        return slots;
    }

    private void GrowEntries()
    {
        int size = checked(_offsets.Length * 2);
        Array.Resize(ref _offsets, size);
        Array.Resize(ref _lengths, size);
        Array.Resize(ref _hashes, size);
        Array.Resize(ref _counts, size);
    }

    private void GrowArena(int needed)
    {
        long size = Math.Max(_arenaUsed + needed, 2L * _arena.Length);
        if (size > Array.MaxLength)
        {
            if (_arenaUsed + needed > Array.MaxLength) throw new InsufficientMemoryException("the distinct pieces hold more than 2 GB of bytes; lower the input size or raise min_count");
            size = Array.MaxLength;
        }
        Array.Resize(ref _arena, (int)size);
    }

    private void Rehash(int size)
    {
        _slots = NewSlots(size);
        int mask = size - 1;
        for (int e = 0; e < Count; e++)
        {
            int slot = (int)(_hashes[e] & (ulong)mask);
            while (_slots[slot] >= 0) slot = (slot + 1) & mask;
            _slots[slot] = e;
        }
    }
}
