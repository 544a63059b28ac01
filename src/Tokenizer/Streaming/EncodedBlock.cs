using System.Buffers;
using BytePiece.Families;
using BytePiece.Streaming;

namespace BytePiece;

/// <summary>
/// The ids of consecutive parts of the input (<see cref="StreamingEncoder.EncodeBlocksAsync"/>), in one pooled
/// buffer: many chunks (BytePiece) or lines (sentence models) at once, so a consumer writes them with one call.
/// A part is what <see cref="StreamingEncoder.EncodeChunksAsync"/> hands out as one <see cref="EncodedPart"/>:
/// a whole chunk or line, or a piece of a long chunk (only a block's last part can stop inside its chunk).
/// </summary>
/// <remarks>
/// The encoder reuses a block's buffers once the enumeration moves on: read it (or copy what you keep)
/// before asking for the next one.
/// </remarks>
public sealed class EncodedBlock : IEncodedUnits
{
    private int[] _ids = [];  // pooled; the first _idCount hold the ids
    private int[] _ends = []; // pooled; _ends[k] is where part k's ids end
    private int _idCount;
    private int _count;
    private bool _lastEndsChunk = true;

    internal EncodedBlock() { }

    /// <summary>The ids of every part, in input order.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, _idCount);

    /// <summary>The number of parts.</summary>
    public int Count => _count;

    /// <summary>The number of parts that end their chunk or line (all of them, unless the last one stops inside a long chunk).</summary>
    public int ChunksEnded => _count == 0 || _lastEndsChunk ? _count : _count - 1;

    /// <summary>The ids of part <paramref name="part"/> (0 to <see cref="Count"/> - 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such part.</exception>
    public ReadOnlySpan<int> PartIds(int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _count);
        int start = part == 0 ? 0 : _ends[part - 1];
        return _ids.AsSpan(start, _ends[part] - start);
    }

    /// <summary>Whether part <paramref name="part"/> ends its chunk (BytePiece: a line and the newlines after it) or its line (sentence models).</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such part.</exception>
    public bool EndsChunk(int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _count);
        return part < _count - 1 || _lastEndsChunk;
    }

    /// <summary>Room for <paramref name="count"/> more ids, then where they go (advance with <see cref="Advance"/>).</summary>
    internal Span<int> Reserve(int count)
    {
        if (_ids.Length - _idCount < count) _ids = Grown(_ids, _idCount, checked(_idCount + count));
        return _ids.AsSpan(_idCount, count);
    }

    internal void Advance(int count) => _idCount += count;

    /// <summary>Appends one id (room was reserved).</summary>
    internal void Add(int id) => _ids[_idCount++] = id;

    /// <summary>Appends ids.</summary>
    internal void Add(ReadOnlySpan<int> ids)
    {
        ids.CopyTo(Reserve(ids.Length));
        _idCount += ids.Length;
    }

    /// <summary>Closes the current part: the ids added since the last one.</summary>
    internal void EndPart(bool endsChunk = true)
    {
        if (_ends.Length == _count) _ends = Grown(_ends, _count, _count + 1);
        _ends[_count++] = _idCount;
        _lastEndsChunk = endsChunk;
    }

    /// <summary>Empties the block for reuse (the buffers stay).</summary>
    void IEncodedUnits.Clear() => (_idCount, _count, _lastEndsChunk) = (0, 0, true);

    /// <summary>Gives the buffers back to the pool (the block is empty after).</summary>
    void IEncodedUnits.Release()
    {
        ((IEncodedUnits)this).Clear();
        if (_ids.Length > 0) ArrayPool<int>.Shared.Return(_ids);
        if (_ends.Length > 0) ArrayPool<int>.Shared.Return(_ends);
        (_ids, _ends) = ([], []);
    }

    private static int[] Grown(int[] array, int used, int needed)
    {
        int[] grown = ArrayPool<int>.Shared.Rent(Math.Max(needed, Math.Max(1024, 2 * array.Length)));
        array.AsSpan(0, used).CopyTo(grown);
        if (array.Length > 0) ArrayPool<int>.Shared.Return(array);
        return grown;
    }

    /// <summary>Appends each token's id to the block (the lattices' sink: no offsets, no list).</summary>
    internal readonly struct Sink(EncodedBlock block) : ITokenSink
    {
        public static bool NeedsOffsets => false;

        public bool BeginChunk(int tokenCount)
        {
            block.Reserve(tokenCount);
            return true;
        }

        public void Add(int id, int byteStart, int byteEnd) => block.Add(id);
    }
}
