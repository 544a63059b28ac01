namespace BytePiece.Training;

/// <summary>The bytes of the k-th piece of some list.</summary>
internal delegate ReadOnlySpan<byte> PieceAt(int k);

/// <summary>Pieces and their counts in flat arrays (one byte arena, offsets, counts), in a fixed order.</summary>
internal sealed class PieceSet
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;

    public PieceSet(byte[] bytes, int[] offsets, long[] counts)
    {
        _bytes = bytes;
        _offsets = offsets;
        Counts = counts;
    }

    /// <summary>Count per piece (mutable while the set is being built).</summary>
    public long[] Counts { get; }

    public int Count => Counts.Length;

    public ReadOnlySpan<byte> this[int p] => _bytes.AsSpan(_offsets[p], _offsets[p + 1] - _offsets[p]);

    public int LengthOf(int p) => _offsets[p + 1] - _offsets[p];

    /// <summary>The pieces <paramref name="pieceAt"/> lists, in that order, with the given counts.</summary>
    public static PieceSet Gather(int count, PieceAt pieceAt, Func<int, long> countAt)
    {
        var offsets = new int[count + 1];
        long total = 0;
        for (int k = 0; k < count; k++)
        {
            total += pieceAt(k).Length;
            if (total > Array.MaxLength) throw new InsufficientMemoryException("the pieces hold more than 2 GB of bytes");
            offsets[k + 1] = (int)total;
        }
        var bytes = new byte[total];
        var counts = new long[count];
        for (int k = 0; k < count; k++)
        {
            pieceAt(k).CopyTo(bytes.AsSpan(offsets[k]));
            counts[k] = countAt(k);
        }
        return new PieceSet(bytes, offsets, counts);
    }

    /// <summary>The pieces whose entry in <paramref name="counts"/> is positive, with those counts.</summary>
    public PieceSet Where(long[] counts)
    {
        var kept = new List<int>();
        for (int p = 0; p < Count; p++) if (counts[p] > 0) kept.Add(p);
        return Gather(kept.Count, k => this[kept[k]], k => counts[kept[k]]);
    }

    /// <summary>A Unigram model of these pieces (piece index p = entry p), for re-segmenting.</summary>
    public UnigramModel ToModel()
    {
        var ids = new int[Count];
        for (int p = 0; p < ids.Length; p++) ids[p] = SpecialTokens.Count + p;
        return UnigramModel.Create(ids, (int[])_offsets.Clone(), _bytes, (long[])Counts.Clone(), TextNormalization.None);
    }

    /// <summary>The final model: ids by (length, bytes), as BytePiece saves them.</summary>
    public UnigramModel ToFinalModel()
    {
        var entries = new List<KeyValuePair<byte[], long>>(Count);
        for (int p = 0; p < Count; p++) entries.Add(new(this[p].ToArray(), Counts[p]));
        return UnigramModel.FromCounts(entries, TextNormalization.Nfc);
    }
}
