namespace BytePiece.Cli;

/// <summary>
/// A read-only pass-through stream that counts the bytes read (for progress and the summary) and notices a
/// file that shrinks while it is read (the end comes before the length it had when opened: encoding it
/// would silently lose the rest). It owns the inner stream. Given a hash, it also feeds it every byte read,
/// so that a shard's SHA-256 costs no second pass over the input.
/// </summary>
internal sealed class CountingStream(Stream inner, System.Security.Cryptography.IncrementalHash? hash = null) : Stream
{
    private long _read;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => Interlocked.Read(ref _read);

    /// <summary>The input's length when it was opened, when the stream knows it (a file), else null (a pipe).</summary>
    public long? KnownLength { get; } = inner.CanSeek ? inner.Length : null;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        hash?.AppendData(buffer[..read]);
        return Count(read, buffer.Length);
    }

    /// <summary>
    /// A file is read synchronously, on the thread that asks (the encoder's reader): an asynchronous file read
    /// waits for a pool thread, and with <c>--threads</c> the pool's threads are busy encoding blocks, so the
    /// next block would not be read until one finished. Other inputs (stdin, a pipe) are read asynchronously.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (inner is not FileStream) return ReadInnerAsync(buffer, cancellationToken);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    private async ValueTask<int> ReadInnerAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        hash?.AppendData(buffer.Span[..read]);
        return Count(read, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read, int requested)
    {
        long total = Interlocked.Add(ref _read, read);
        if (read == 0 && requested > 0 && KnownLength is long length && total < length)
            throw new IOException($"the input ended after {total:N0} bytes but held {length:N0} when it was opened: it was truncated or replaced while being read");
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
