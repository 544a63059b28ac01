using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace BytePiece;

/// <summary>
/// Encodes UTF-8 text of any size from a <see cref="PipeReader"/> or a <see cref="Stream"/>, with output
/// identical to encoding the whole input at once (<see cref="BytePieceTokenizer.EncodeToIds(string, bool, bool, SamplingOptions?)"/>,
/// or <see cref="BytePieceTokenizer.EncodeBytes(ReadOnlySpan{byte}, bool, bool, SamplingOptions?)"/> in raw mode),
/// sampling included. Chunk boundaries (a <c>\n</c> run followed by another byte) are the commit points:
/// chunks encode independently, NFC never reaches across them, and a chunk's random stream depends only
/// on (seed, chunk index). Memory holds the current incomplete chunk; a single line without
/// <c>\n</c> is held whole (bounded commits inside a line are still to come).
/// </summary>
public sealed class StreamingEncoder
{
    private readonly BytePieceTokenizer _tokenizer;

    /// <summary>Creates a streaming encoder over <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer (shared, immutable).</param>
    /// <param name="raw">Encode bytes as they are (no UTF-8 check, no normalization), like <c>EncodeBytes</c>.</param>
    /// <param name="sampling">Sampling options, or null for Viterbi.</param>
    public StreamingEncoder(BytePieceTokenizer tokenizer, bool raw = false, SamplingOptions? sampling = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        Raw = raw;
        Sampling = sampling;
    }

    /// <summary>Whether bytes are encoded as they are.</summary>
    public bool Raw { get; }

    /// <summary>Sampling options, or null for Viterbi.</summary>
    public SamplingOptions? Sampling { get; }

    /// <summary>The ids of the whole input, one array per chunk (a line and the newlines after it), in order.</summary>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8 (the offset counts from the start of the input).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<int[]> EncodeChunksAsync(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long offset = 0, chunks = 0;
        long scanned = 0; // bytes of the unconsumed buffer already known to hold no commit point
        byte[] scratch = [];
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                long commit = result.IsCompleted ? buffer.Length : LastCommitPoint(buffer, scanned);
                if (commit > 0)
                {
                    List<int[]> encoded = EncodeBlock(buffer.Slice(0, commit), ref scratch, offset, ref chunks);
                    offset += commit;
                    scanned = 0;
                    reader.AdvanceTo(buffer.GetPosition(commit), buffer.End);
                    foreach (int[] ids in encoded) yield return ids;
                }
                else
                {
                    scanned = Math.Max(0, buffer.Length - 1); // the last byte may still become a commit point
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted) break;
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            if (scratch.Length > 0) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The end of the last complete chunk in <paramref name="buffer"/> (a position after a <c>\n</c> whose
    /// next byte is not <c>\n</c>), looking only at positions from <paramref name="from"/> on; 0 if none.
    /// </summary>
    internal static long LastCommitPoint(in ReadOnlySequence<byte> buffer, long from)
    {
        long last = 0, position = from;
        int previous = from > 0 ? buffer.Slice(from - 1, 1).FirstSpan[0] : -1;
        foreach (ReadOnlyMemory<byte> segment in buffer.Slice(from))
        {
            ReadOnlySpan<byte> span = segment.Span;
            for (int i = 0; i < span.Length; i++)
            {
                if (previous == '\n' && span[i] != '\n') last = position + i;
                previous = span[i];
            }
            position += span.Length;
        }
        return last;
    }

    /// <summary>The ids of the whole input, one at a time.</summary>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<int> EncodeAsync(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (int[] chunk in EncodeChunksAsync(reader, cancellationToken).ConfigureAwait(false))
            foreach (int id in chunk) yield return id;
    }

    /// <summary>The ids of a stream's content, one at a time (the stream is left open).</summary>
    public IAsyncEnumerable<int> EncodeAsync(Stream stream, CancellationToken cancellationToken = default)
        => EncodeAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), cancellationToken);

    /// <summary>Encodes a block of whole chunks, one chunk at a time (each with its own random stream).</summary>
    private List<int[]> EncodeBlock(in ReadOnlySequence<byte> sequence, ref byte[] scratch, long offset, ref long chunks)
    {
        ReadOnlySpan<byte> block = Contiguous(sequence, ref scratch);
        if (!Raw && !Ascii.IsValid(block) && !Utf8.IsValid(block))
            Utf8Text.Decode(block, new StringBuilder(), DecodePolicy.Strict, isFinal: true, offset); // throws with the offset
        var result = new List<int[]>();
        for (int pos = 0; pos < block.Length;)
        {
            int end = Chunker.ChunkEnd(block, pos);
            ReadOnlySpan<byte> chunk = block[pos..end];
            SamplingOptions? sampling = Sampling is { } s ? s with { FirstChunk = s.FirstChunk + chunks } : null;
            result.Add(Raw || Ascii.IsValid(chunk) // ASCII is already NFC
                ? _tokenizer.EncodeBytes(chunk, sampling: sampling)
                : [.. _tokenizer.EncodeToIds(Encoding.UTF8.GetString(chunk), sampling: sampling)]);
            chunks++;
            pos = end;
        }
        return result;
    }

    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> buffer, ref byte[] scratch)
    {
        if (buffer.IsSingleSegment) return buffer.FirstSpan;
        int length = checked((int)buffer.Length);
        if (scratch.Length < length)
        {
            if (scratch.Length > 0) ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        buffer.CopyTo(scratch);
        return scratch.AsSpan(0, length);
    }
}
