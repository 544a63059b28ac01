namespace BytePiece.Normalization;

/// <summary>
/// Normalized UTF-8 and, for each of its bytes, the offset of the original input byte it came from
/// (one more entry at <see cref="Length"/> for the end). Reused across calls by one thread.
/// </summary>
internal sealed class NormalizedBuffer
{
    private byte[] _bytes = new byte[256];
    private int[] _toOriginal = new int[257];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

    /// <summary>Original offset of each normalized byte, and of the end (valid after <see cref="Finish"/>).</summary>
    public ReadOnlySpan<int> ToOriginal => _toOriginal.AsSpan(0, Length + 1);

    public void Clear()
    {
        Length = 0;
        _toOriginal[0] = 0;
    }

    /// <summary>Makes room for <paramref name="more"/> bytes (and their end entry).</summary>
    public void Reserve(int more)
    {
        long need = (long)Length + more + 1;
        if (need <= _bytes.Length) return;
        if (need > Array.MaxLength) throw new InsufficientMemoryException("the normalized text would exceed 2 GB");
        int size = (int)Math.Min(Array.MaxLength, Math.Max(need, 2L * _bytes.Length));
        Array.Resize(ref _bytes, size);
        Array.Resize(ref _toOriginal, size + 1);
    }

    public void Add(byte b, int origin)
    {
        if (Length + 1 >= _bytes.Length) Reserve(1);
        _bytes[Length] = b;
        _toOriginal[Length] = origin;
        Length++;
    }

    /// <summary>Appends input bytes that normalize to themselves; byte k came from <paramref name="origin"/> + k.</summary>
    public void AddIdentity(ReadOnlySpan<byte> bytes, int origin)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_bytes.AsSpan(Length));
        Span<int> map = _toOriginal.AsSpan(Length, bytes.Length);
        for (int k = 0; k < map.Length; k++) map[k] = origin + k;
        Length += bytes.Length;
    }

    /// <summary>Appends bytes that all came from the input byte at <paramref name="origin"/>.</summary>
    public void AddFrom(ReadOnlySpan<byte> bytes, int origin)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_bytes.AsSpan(Length));
        _toOriginal.AsSpan(Length, bytes.Length).Fill(origin);
        Length += bytes.Length;
    }

    /// <summary>Room for <paramref name="more"/> bytes past the end, to write directly; <see cref="Advance"/> then counts what was written.</summary>
    public void GetTail(int more, out Span<byte> bytes, out Span<int> toOriginal)
    {
        Reserve(more);
        bytes = _bytes.AsSpan(Length, more);
        toOriginal = _toOriginal.AsSpan(Length, more);
    }

    /// <summary>Counts <paramref name="count"/> bytes written through <see cref="GetTail"/>.</summary>
    public void Advance(int count) => Length += count;

    public void Truncate(int length) => Length = length;

    /// <summary>Records where the end of the normalized text falls in the original.</summary>
    public void Finish(int endOrigin)
    {
        Reserve(0);
        _toOriginal[Length] = endOrigin;
    }

    /// <summary>Drops the arrays if one huge input grew them, so a thread does not pin the memory.</summary>
    public void Trim()
    {
        if (_bytes.Length <= 1 << 20) return;
        _bytes = new byte[256];
        _toOriginal = new int[257];
        Length = 0;
    }
}
