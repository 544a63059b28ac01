namespace BytePiece.Training;

/// <summary>Whole chunks, back to back, for one worker to process.</summary>
internal sealed class ChunkBatch
{
    public const int TargetBytes = 1 << 20;

    public byte[] Data = new byte[TargetBytes + (64 << 10)];
    public int Length;
    public readonly List<int> Ends = [];

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Length = 0;
        Ends.Clear();
    }

    public void Add(ReadOnlySpan<byte> chunk)
    {
        if (Length + chunk.Length > Data.Length) Array.Resize(ref Data, Math.Max(Length + chunk.Length, 2 * Data.Length));
        chunk.CopyTo(Data.AsSpan(Length));
        Length += chunk.Length;
        Ends.Add(Length);
    }

    /// <summary>Chunk <paramref name="k"/>.</summary>
    public ReadOnlySpan<byte> Chunk(int k) => Data.AsSpan(k == 0 ? 0 : Ends[k - 1], Ends[k] - (k == 0 ? 0 : Ends[k - 1]));
}
