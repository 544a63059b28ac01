namespace BytePiece.Tests;

/// <summary>A read-only stream that returns its bytes in reads of the given sizes (cycled; at least one byte each), to feed an encoder input split anywhere.</summary>
internal sealed class TrickleStream(byte[] data, int[] sizes) : Stream
{
    private int _position, _reads;

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, data.Length - _position), Math.Max(1, sizes[_reads++ % sizes.Length]));
        Array.Copy(data, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => data.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
