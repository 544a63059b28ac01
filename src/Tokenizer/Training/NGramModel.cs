namespace BytePiece.Training;

/// <summary>
/// The byte n-gram model of training stage 2: for every kept n-gram x1..xL (L >= 2, count >= min_count)
/// the conditional <c>ln c(x1..xL) - ln c(x1..x(L-1))</c>, and for single bytes <c>ln c(x) - ln N</c>
/// (bytes never seen count 1, and add 1 to N). Pruned n-grams are absent. Read-only once built, so the
/// segmenting threads share it.
/// </summary>
internal sealed class NGramModel
{
    private struct Slot
    {
        public ulong Key;
        public double Value;
    }

    private readonly Slot[] _slots;
    private readonly int _shift;
    private readonly double[] _unigram = new double[256];

    private NGramModel(int entries)
    {
        int capacity = Math.Max(1024, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, 2 * entries)));
        _slots = new Slot[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
    }

    /// <summary>Kept n-grams of length 2 or more.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => 16L * _slots.Length;

    /// <summary>The n-gram order (longest n-gram length).</summary>
    public int Order { get; private init; }

    /// <summary><c>ln p(b)</c>.</summary>
    public double Unigram(byte b) => _unigram[b];

    /// <summary>The conditional log-probability of the n-gram's last byte given the others, if the n-gram was kept.</summary>
    public bool TryGet(ulong key, out double logProb)
    {
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        for (int slot = (int)(NGramKey.Hash(key) >> _shift); ; slot = (slot + 1) & mask)
        {
            ref Slot s = ref slots[slot];
            if (s.Key == key) { logProb = s.Value; return true; }
            if (s.Key == 0) { logProb = double.NegativeInfinity; return false; }
        }
    }

    /// <summary>
    /// Builds the model from single-byte counts and the kept longer n-grams with their counts (every
    /// kept n-gram's prefix is kept too, since a prefix occurs at least as often).
    /// </summary>
    public static NGramModel Build(ReadOnlySpan<long> byteCounts, IReadOnlyList<ulong> keys, IReadOnlyList<long> counts, int order)
    {
        var model = new NGramModel(keys.Count) { Order = order };
        long[] unigrams = byteCounts.ToArray();
        long total = 0;
        for (int b = 0; b < 256; b++)
        {
            if (unigrams[b] == 0) unigrams[b] = 1;
            total += unigrams[b];
        }
        double logTotal = Math.Log(total);
        for (int b = 0; b < 256; b++) model._unigram[b] = Math.Log(unigrams[b]) - logTotal;

        for (int k = 0; k < keys.Count; k++) model.Insert(keys[k], counts[k]);
        // Longest first, so each prefix still holds its raw count when its extensions read it.
        for (int length = order; length >= 2; length--)
        {
            foreach (ref Slot s in model._slots.AsSpan())
            {
                if (s.Key == 0 || NGramKey.Length(s.Key) != length) continue;
                ulong prefix = NGramKey.Prefix(s.Key);
                double prefixCount = length == 2 ? unigrams[(byte)prefix] : model.RawCount(prefix);
                s.Value = Math.Log(s.Value) - Math.Log(prefixCount);
            }
        }
        return model;
    }

    private double RawCount(ulong key)
    {
        if (!TryGet(key, out double count)) throw new InvalidOperationException($"n-gram prefix {Convert.ToHexString(NGramKey.Bytes(key))} is missing");
        return count;
    }

    private void Insert(ulong key, double value)
    {
        int mask = _slots.Length - 1;
        int slot = (int)(NGramKey.Hash(key) >> _shift);
        while (_slots[slot].Key != 0) slot = (slot + 1) & mask;
        _slots[slot] = new Slot { Key = key, Value = value };
        Count++;
    }
}
