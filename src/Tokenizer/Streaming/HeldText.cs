using System.Buffers;
using BytePiece.Normalization;

namespace BytePiece.Streaming;

/// <summary>
/// The bytes of a long chunk taken from the reader and not yet fed to its lattice: normally a few bytes
/// (text is fed up to its last NFC-safe cut), but a run without a stable starter (combining marks) is
/// held until one arrives. Held once and contiguous, and scanned for a cut only where it is new, so
/// such a run costs linear time and about one byte per input byte until it is fed.
/// </summary>
internal sealed class HeldText
{
    private byte[] _bytes = [];
    private int _start;     // first byte not fed yet
    private int _end;
    private int _scanned;   // bytes from _start known to hold no cut after position 0

    /// <summary>Bytes held.</summary>
    public int Count => _end - _start;

    /// <summary>The array's size (for the memory bound).</summary>
    public int Capacity => _bytes.Length;

    /// <summary>The last byte held (Count &gt; 0).</summary>
    public byte Last => _bytes[_end - 1];

    /// <summary>The bytes held.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes.AsMemory(_start, Count);

    /// <summary>Adds bytes after those held.</summary>
    public void Append(in ReadOnlySequence<byte> data)
    {
        int length = checked((int)data.Length);
        if (_end + length > _bytes.Length)
        {
            // Move the held bytes to the front, into a larger array if they would not fit or fill half of
            // it (a growing run doubles, so its copies add up to its size; usual reads need little more).
            int needed = checked(Count + length);
            byte[] target = needed <= _bytes.Length && Count <= _bytes.Length / 2 ? _bytes
                : new byte[Math.Max(needed, (int)Math.Min(Array.MaxLength, Math.Max(needed + needed / 8L, 2L * Count)))];
            Array.Copy(_bytes, _start, target, 0, Count);
            _end = Count;
            _start = 0;
            _bytes = target;
        }
        data.CopyTo(_bytes.AsSpan(_end));
        _end += length;
    }

    /// <summary>
    /// The last position (counted from the first byte held) before which the held text can be cut
    /// without changing its NFC form; 0 if none yet. Only bytes not scanned before are looked at.
    /// </summary>
    public int LastSafeSplit()
    {
        ReadOnlySpan<byte> text = _bytes.AsSpan(_start, Count);
        // Back up over a character that may have been incomplete at the end of the last scan.
        int split = NfcBoundary.LastSafeSplit(text, Math.Max(1, _scanned - 3));
        _scanned = Count;
        return Math.Max(0, split);
    }

    /// <summary>The first <paramref name="count"/> bytes were fed.</summary>
    public void Consume(int count)
    {
        _start += count;
        _scanned = Math.Max(0, _scanned - count);
        if (Count == 0) _start = _end = 0;
    }

    /// <summary>Forgets the held bytes and lets go of a large array (a chunk ended).</summary>
    public void Clear()
    {
        _start = _end = _scanned = 0;
        if (_bytes.Length > 1 << 20) _bytes = [];
    }
}
