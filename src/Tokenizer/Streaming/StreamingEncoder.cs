using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using BytePiece.Families.BytePiece;
using BytePiece.Lattice;
using BytePiece.Normalization;
using BytePiece.Streaming;
using BytePiece.Text;

namespace BytePiece;

/// <summary>
/// Encodes UTF-8 text of any size from a <see cref="PipeReader"/> or a <see cref="Stream"/>, on one or
/// more threads, with output that never depends on how the input arrives or on <see cref="Threads"/>.
/// <para>
/// With a BytePiece model the output is identical to encoding the whole input at once
/// (<see cref="BytePieceTokenizer.EncodeToIds(string, SamplingOptions, bool, bool)"/>,
/// or <see cref="BytePieceTokenizer.EncodeBytes(ReadOnlySpan{byte}, bool, bool, SamplingOptions?)"/> in raw mode),
/// sampling included. Chunk boundaries (a <c>\n</c> run followed by another byte) are the commit points:
/// chunks encode independently, NFC never reaches across them, and a chunk's random stream depends only
/// on (seed, chunk index). Memory holds the current incomplete chunk, or, for a chunk longer than
/// <see cref="LongChunkThreshold"/>, the window of its lattice that is not yet certain (at most <see cref="MaxWindow"/>); with
/// <see cref="Threads"/> above 1, also up to that many blocks in flight.
/// </para>
/// <para>
/// With a SentencePiece or tokenizer.json model (<see cref="SentencePerLine"/>), as spm_encode reads a file: every
/// line (without its <c>\n</c>; a last line without one when it is not empty) is one sentence, encoded as
/// <see cref="UnigramTokenizer.EncodeToIds(string, SamplingOptions)"/> encodes it, line i (from 0) drawing
/// with sentence index <see cref="SamplingOptions.FirstChunk"/> + i, with the model's beginning and end of
/// sentence around each line when asked. Line ends are the commit points; memory holds the current line whole.
/// </para>
/// </summary>
public sealed class StreamingEncoder
{
    private readonly BytePieceTokenizer? _bytePiece;
    private readonly SentenceLines? _lines;

    /// <summary>Creates a streaming encoder over <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer (shared, immutable).</param>
    /// <param name="raw">Encode bytes as they are (no UTF-8 check, no normalization), like <c>EncodeBytes</c>.</param>
    /// <param name="sampling">Sampling options, or null for Viterbi.</param>
    public StreamingEncoder(BytePieceTokenizer tokenizer, bool raw = false, SamplingOptions? sampling = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _bytePiece = tokenizer;
        Raw = raw;
        Sampling = sampling;
    }

    /// <summary>
    /// Creates a streaming encoder over a tokenizer of any family: a <see cref="BytePieceTokenizer"/> encodes
    /// chunks as with the other constructor; a <see cref="SentencePieceTokenizer"/> or <see cref="HuggingFaceTokenizer"/>
    /// encodes a sentence per line.
    /// </summary>
    /// <param name="tokenizer">The tokenizer (shared, immutable).</param>
    /// <param name="raw">
    /// BytePiece: encode bytes as they are (no UTF-8 check, no normalization). Sentence models: no UTF-8 check
    /// (the model reads invalid bytes as U+FFFD, as spm_encode does).
    /// </param>
    /// <param name="sampling">Sampling options, or null for Viterbi.</param>
    /// <param name="addBeginningOfSentence">
    /// Sentence models: SentencePiece puts the model's <c>bos</c> piece before each line; for tokenizer.json,
    /// either flag applies the post-processor's template to each line. Not for BytePiece models (their
    /// chunks are not sentences).
    /// </param>
    /// <param name="addEndOfSentence">Sentence models: SentencePiece puts the model's <c>eos</c> piece after each line (tokenizer.json: see <paramref name="addBeginningOfSentence"/>).</param>
    /// <exception cref="ArgumentException">bos/eos asked of a BytePiece model, or of a SentencePiece model without such a piece.</exception>
    public StreamingEncoder(UnigramTokenizer tokenizer, bool raw = false, SamplingOptions? sampling = null,
        bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _lines = SentenceLines.For(tokenizer, addBeginningOfSentence, addEndOfSentence);
        _bytePiece = tokenizer as BytePieceTokenizer;
        if (_bytePiece is null && _lines is null) throw new ArgumentException($"{tokenizer.GetType().Name} is not a family this encoder knows", nameof(tokenizer));
        Raw = raw;
        Sampling = sampling;
        AddBeginningOfSentence = addBeginningOfSentence;
        AddEndOfSentence = addEndOfSentence;
    }

    /// <summary>Whether each line is a sentence (SentencePiece and tokenizer.json models) rather than a BytePiece chunk.</summary>
    public bool SentencePerLine => _lines is not null;

    /// <summary>Whether each sentence starts with the model's beginning of sentence (sentence models).</summary>
    public bool AddBeginningOfSentence { get; }

    /// <summary>Whether each sentence ends with the model's end of sentence (sentence models).</summary>
    public bool AddEndOfSentence { get; }

    /// <summary>Whether bytes are encoded as they are.</summary>
    public bool Raw { get; }

    /// <summary>Sampling options, or null for Viterbi.</summary>
    public SamplingOptions? Sampling { get; }

    /// <summary>
    /// How many blocks of whole chunks encode at once, each on a pool thread, while finished blocks are
    /// handed out in order (1: sequential, on the caller's thread). The result never depends on it.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>Input committed in less than this at once is encoded on the caller's thread.</summary>
    private const int ParallelBlockMinimum = 1 << 16;

    /// <summary>The most bytes of a long chunk fed to its lattice before the ids are handed out.</summary>
    private const int FeedSlice = 1 << 20;

    /// <summary>The size of the blocks (whole chunks) that encode on the pool, one thread each.</summary>
    private const int BlockSize = 1 << 20;

    /// <summary>The input bytes (whole units) whose ids the caller's thread hands out as one block when it encodes them itself.</summary>
    private const int SequentialBlockSize = 1 << 16;

    /// <summary>A pending chunk longer than this is encoded as it arrives (bounded memory) instead of held whole.</summary>
    public int LongChunkThreshold { get; init; } = 1 << 16;

    /// <summary>
    /// The longest chunk (a line and its newlines; for a sentence model, a line without its <c>\n</c>) the encoder
    /// accepts, in input bytes; a longer one stops the encoding with <see cref="InputLimitExceededException"/>.
    /// Unlimited by default: BytePiece's long chunks are encoded in bounded memory anyway (a sentence model's
    /// line is held whole); this is for callers that want to refuse them.
    /// </summary>
    public long MaxChunkLength { get; init; } = long.MaxValue;

    /// <summary>
    /// See <see cref="StreamingLattice.MaxWindow"/>: how much a long chunk's lattice may hold (bytes, and back pointers
    /// kept while their chains have not met; a periodic run such as 10^7 spaces is held as one period)
    /// before a forced cut.
    /// </summary>
    public int MaxWindow { get; init; } = 1 << 20;

    /// <summary>Forced cuts in the last encoding (0 means the output equals whole-text encoding).</summary>
    public int ForcedCuts { get; private set; }

    /// <summary>The most input bytes held at once in the last encoding (pipe buffer plus lattice).</summary>
    public long MaxRetainedBytes { get; private set; }

    /// <summary>
    /// The ids of the whole input, in order, as parts: a chunk (a line and the newlines after it) is one
    /// part, or, when it is longer than <see cref="LongChunkThreshold"/>, several parts as its tokens
    /// become certain; <see cref="EncodedPart.EndsChunk"/> marks a chunk's last part. For a sentence model
    /// (<see cref="SentencePerLine"/>) a line is one part (bos/eos included when asked), always whole.
    /// </summary>
    /// <remarks>
    /// The reader is completed when the whole input has been encoded. If the enumeration stops before (an
    /// exception, or the consumer leaves), the reader is left open and not in the middle of a read (where
    /// it stands in the input is not specified): the caller can read on (a web server drains a request
    /// body this way) or complete it.
    /// </remarks>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8 (the offset counts from the start of the input).</exception>
    /// <exception cref="InputLimitExceededException">A chunk (or a sentence model's line) is longer than <see cref="MaxChunkLength"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<EncodedPart> EncodeChunksAsync(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (EncodedBlock block in EncodeBlocksAsync(reader, cancellationToken).ConfigureAwait(false))
            for (int k = 0; k < block.Count; k++) yield return new EncodedPart(block.PartIds(k).ToArray(), block.EndsChunk(k));
    }

    /// <summary>
    /// The ids of the whole input, in order, in blocks of many parts (the parts of <see cref="EncodeChunksAsync"/>,
    /// in the same order), each in one pooled buffer: the way to write ids in bulk, with no array per chunk or line.
    /// A block is valid until the enumeration moves on (its buffers are then reused).
    /// </summary>
    /// <remarks>The reader is left as <see cref="EncodeChunksAsync"/> leaves it.</remarks>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8 (the offset counts from the start of the input).</exception>
    /// <exception cref="InputLimitExceededException">A chunk (or a sentence model's line) is longer than <see cref="MaxChunkLength"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IAsyncEnumerable<EncodedBlock> EncodeBlocksAsync(PipeReader reader, CancellationToken cancellationToken = default)
        => Run(reader, static () => new EncodedBlock(), AddIds, static (block, ids, endsChunk) =>
        {
            block.Add(ids);
            block.EndPart(endsChunk);
        }, cancellationToken);

    /// <summary>
    /// The pieces of the whole input, in order, as the model's own tool prints them, in the parts of
    /// <see cref="EncodeChunksAsync"/>: for a sentence model a line's pieces (spm_encode's
    /// <c>--output_format=piece</c>: the stored piece, an unknown as the normalized text it stands for; for
    /// tokenizer.json the tokens' text), bos/eos included; for a BytePiece model each part's pieces as
    /// <see cref="PieceText.FormatForListing"/> shows them.
    /// </summary>
    /// <remarks>The reader is left as <see cref="EncodeChunksAsync"/> leaves it.</remarks>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8 (the offset counts from the start of the input).</exception>
    /// <exception cref="InputLimitExceededException">A chunk or line is longer than <see cref="MaxChunkLength"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IAsyncEnumerable<EncodedPieces> EncodePiecesAsync(PipeReader reader, CancellationToken cancellationToken = default)
        => _lines is { } lines ? SentencePieces(reader, lines, cancellationToken) : BytePieces(reader, cancellationToken);

    private async IAsyncEnumerable<EncodedPieces> SentencePieces(PipeReader reader, SentenceLines lines, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var blocks = Run(reader, static () => new Units<EncodedPieces>(),
            (block, line, sampling) => block.Items.Add(new EncodedPieces(lines.Pieces(line, sampling ?? Viterbi), EndsChunk: true)),
            static (_, _, _) => throw new InvalidOperationException("a sentence model has no long-chunk parts"), cancellationToken);
        await foreach (Units<EncodedPieces> block in blocks.ConfigureAwait(false))
            foreach (EncodedPieces line in block.Items) yield return line;
    }

    private async IAsyncEnumerable<EncodedPieces> BytePieces(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        UnigramModel model = _bytePiece!.Model;
        await foreach (EncodedBlock block in EncodeBlocksAsync(reader, cancellationToken).ConfigureAwait(false))
            for (int k = 0; k < block.Count; k++)
            {
                ReadOnlySpan<int> ids = block.PartIds(k);
                var pieces = new string[ids.Length];
                for (int t = 0; t < ids.Length; t++) pieces[t] = (uint)ids[t] < SpecialTokens.Count ? SpecialTokens.GetText(ids[t]) : PieceText.FormatForListing(model.GetPieceBytes(ids[t]));
                yield return new EncodedPieces(pieces, block.EndsChunk(k));
            }
    }

    /// <summary>Viterbi, for a sentence model's lines when no sampling is asked.</summary>
    private static readonly SamplingOptions Viterbi = new(-1, 0);

    /// <summary>Adds one unit's (chunk's or line's) encoding to a block, with its random stream (null: Viterbi).</summary>
    private delegate void UnitEncoder<TBlock>(TBlock block, ReadOnlySpan<byte> unit, SamplingOptions? sampling);

    /// <summary>A whole chunk's or line's ids, written into the block's buffer (a part of its own).</summary>
    private void AddIds(EncodedBlock block, ReadOnlySpan<byte> unit, SamplingOptions? sampling)
    {
        if (_lines is { } lines) lines.AddIds(unit, sampling ?? Viterbi, block);
        else
        {
            var sink = new EncodedBlock.Sink(block);
            ChunkEncoder.Encode(_bytePiece!.Model, unit, ref sink, sampling);
        }
        block.EndPart();
    }

    /// <summary>
    /// The pipeline of every family: reads blocks, cuts them at commit points (chunk ends, or line ends),
    /// encodes whole units into blocks (<paramref name="encode"/> adds one) on up to <see cref="Threads"/> threads
    /// and hands the blocks out in input order; a BytePiece chunk too long to hold is streamed through its
    /// lattice, its parts added by <paramref name="part"/>. Blocks come from <paramref name="create"/> and are
    /// reused once the consumer has moved past them.
    /// </summary>
    private async IAsyncEnumerable<TBlock> Run<TBlock>(PipeReader reader, Func<TBlock> create, UnitEncoder<TBlock> encode, Action<TBlock, ReadOnlySpan<int>, bool> part,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TBlock : class, IEncodedUnits
    {
        ArgumentNullException.ThrowIfNull(reader);
        long offset = 0, chunks = 0;
        long scanned = 0; // bytes of the unconsumed buffer already known to hold no commit point
        byte[] scratch = [];
        StreamingLattice? longChunk = null;
        var held = new HeldText();
        long longChunkStart = 0;
        var pending = new List<int>();
        var inFlight = new Queue<(Task<TBlock> Encoding, byte[] Bytes)>();
        var free = new Stack<TBlock>(); // blocks the consumer is done with (touched by this method only, never by the workers)
        TBlock Rent() => free.TryPop(out TBlock? block) ? block : create();
        void Reuse(TBlock block)
        {
            block.Clear();
            free.Push(block);
        }
        ForcedCuts = 0;
        MaxRetainedBytes = 0;
        ReadOnlySequence<byte> examined = default; // the buffer of a read not yet advanced past
        bool reading = false;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                examined = buffer;
                reading = true;
                long inFlightBytes = 0;
                foreach (var b in inFlight) inFlightBytes += b.Bytes.Length;
                MaxRetainedBytes = Math.Max(MaxRetainedBytes, buffer.Length + (longChunk?.Retained ?? 0) + inFlightBytes);
                if (longChunk is not null)
                {
                    // Inside a long chunk: its bytes move from the reader to `held` (so a run that cannot be
                    // cut yet is held once, contiguous, and scanned once), up to the chunk's end.
                    long end = ChunkEndIn(buffer, afterNewline: held.Count > 0 && held.Last == (byte)'\n');
                    bool chunkEnds = end >= 0 || result.IsCompleted;
                    long take = end >= 0 ? end : buffer.Length;
                    CheckChunkLength(offset + take - longChunkStart, longChunkStart);
                    held.Append(buffer.Slice(0, take));
                    offset += take;
                    MaxRetainedBytes = Math.Max(MaxRetainedBytes, buffer.Length + held.Capacity + longChunk.Retained);
                    // Feed up to the chunk's end, or up to the last point where the text can be cut (NFC).
                    int feed = chunkEnds || Raw ? held.Count : held.LastSafeSplit();
                    byte[]? normalizedText = null;
                    ReadOnlyMemory<byte> text = feed > 0 ? Prepared(held.Bytes[..feed], offset - held.Count, out normalizedText) : default;
                    held.Consume(feed);
                    try
                    {
                        for (int pos = 0; pos < text.Length;)
                        {
                            // In slices, handing out the ids between them: a long held run's ids are not collected whole.
                            int slice = Math.Min(text.Length - pos, FeedSlice);
                            longChunk.Append(text.Span.Slice(pos, slice), pending);
                            pos += slice;
                            if (pos < text.Length && pending.Count > 0)
                            {
                                TBlock slicePart = Rent();
                                part(slicePart, CollectionsMarshal.AsSpan(pending), false);
                                pending.Clear();
                                yield return slicePart;
                                Reuse(slicePart);
                            }
                        }
                    }
                    finally
                    {
                        if (normalizedText is not null) ArrayPool<byte>.Shared.Return(normalizedText);
                    }
                    if (chunkEnds)
                    {
                        longChunk.Finish(pending);
                        ForcedCuts += longChunk.ForcedCuts;
                        longChunk = null;
                        held.Clear();
                        chunks++;
                        reader.AdvanceTo(buffer.GetPosition(take)); // examine the rest again at once
                        reading = false;
                        TBlock last = Rent();
                        part(last, CollectionsMarshal.AsSpan(pending), true);
                        pending.Clear();
                        yield return last;
                        Reuse(last);
                        if (result.IsCompleted && take == buffer.Length) break;
                        continue;
                    }
                    reader.AdvanceTo(buffer.End);
                    reading = false;
                    if (pending.Count > 0)
                    {
                        TBlock piece = Rent();
                        part(piece, CollectionsMarshal.AsSpan(pending), false);
                        pending.Clear();
                        yield return piece;
                        Reuse(piece);
                    }
                    continue;
                }
                long commit = result.IsCompleted ? buffer.Length : LastCommit(buffer, scanned);
                if (commit > 0 && Threads > 1 && commit >= ParallelBlockMinimum)
                {
                    // Pipelined: blocks of about BlockSize bytes (whole units) encode on the pool, each whole on
                    // one thread from its own copy of the bytes into one pooled block of ids, up to Threads at
                    // once, while finished ones are handed out in input order and the next input is read. No
                    // barrier inside a block, nothing per unit between threads; an error in a block surfaces
                    // after the ids of every block before it.
                    for (long pos = 0; pos < commit;)
                    {
                        long end = commit - pos < 2 * BlockSize ? commit : pos + BlockSize; // no small leftover block
                        if (end < commit)
                        {
                            // Cut after the last unit that ends by then, or after the first unit if it is longer.
                            long first = FirstCommit(buffer.Slice(pos, commit - pos));
                            end = first == 0 ? commit : Math.Max(pos + first, pos + LastCommit(buffer.Slice(pos, end - pos), 0));
                        }
                        int length = checked((int)(end - pos));
                        byte[] owned = ArrayPool<byte>.Shared.Rent(length);
                        buffer.Slice(pos, length).CopyTo(owned);
                        long blockOffset = offset + pos, firstChunk = chunks;
                        if (Sampling is not null || _lines is not null) chunks += CountUnits(owned.AsSpan(0, length)); // the next block's streams follow
                        TBlock units = Rent();
                        inFlight.Enqueue((Task.Run(() => EncodeBlock(units, owned.AsMemory(0, length), blockOffset, firstChunk, encode), cancellationToken), owned));
                        pos = end;
                        if (inFlight.Count >= Threads)
                        {
                            TBlock encoded = await Finish(inFlight.Dequeue()).ConfigureAwait(false); // out of the queue first: Finish returns its bytes even when it throws
                            if (Sampling is null && _lines is null) chunks += encoded.Count;
                            yield return encoded;
                            Reuse(encoded);
                        }
                    }
                    offset += commit;
                    scanned = 0;
                    reader.AdvanceTo(buffer.GetPosition(commit), buffer.End);
                    reading = false;
                    if (result.IsCompleted) break;
                    continue;
                }
                while (inFlight.Count > 0)
                {
                    // Anything else comes after the blocks in flight: hand them out first.
                    TBlock done = await Finish(inFlight.Dequeue()).ConfigureAwait(false);
                    if (Sampling is null && _lines is null) chunks += done.Count;
                    yield return done;
                    Reuse(done);
                }
                if (commit > 0)
                {
                    // On the caller's thread, in blocks of about SequentialBlockSize bytes (so the ids of a large read
                    // are not all held); the whole read is checked first. The reader advances once it is done.
                    ReadOnlyMemory<byte> block = PreparedBlock(ContiguousMemory(buffer.Slice(0, commit), ref scratch), offset, out byte[]? normalizedBlock);
                    try
                    {
                        for (int pos = 0; pos < block.Length;)
                        {
                            TBlock units = Rent();
                            int blockEnd = (int)Math.Min(block.Length, (long)pos + SequentialBlockSize);
                            while (pos < block.Length && (units.Count == 0 || pos < blockEnd)) pos = EncodeUnitAt(units, block, pos, chunks++, encode);
                            yield return units;
                            Reuse(units);
                        }
                    }
                    finally
                    {
                        if (normalizedBlock is not null) ArrayPool<byte>.Shared.Return(normalizedBlock);
                    }
                    offset += commit;
                    scanned = 0;
                    reader.AdvanceTo(buffer.GetPosition(commit), buffer.End);
                    reading = false;
                }
                else if (_lines is null && buffer.Length >= LongChunkThreshold)
                {
                    longChunk = new StreamingLattice(_bytePiece!.Model, Sampling, chunks, MaxWindow);
                    longChunkStart = offset;
                    scanned = 0;
                    reader.AdvanceTo(buffer.Start); // handled in lattice mode on the next read, which returns at once
                    reading = false;
                    continue;
                }
                else
                {
                    if (_lines is not null) CheckChunkLength(buffer.Length, offset); // a sentence model's line is held whole
                    scanned = Math.Max(0, buffer.Length - 1); // the last byte may still become a commit point
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    reading = false;
                }
                if (result.IsCompleted) break;
            }
            while (inFlight.Count > 0)
            {
                TBlock done = await Finish(inFlight.Dequeue()).ConfigureAwait(false);
                yield return done;
                Reuse(done);
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            // An error or a consumer that left stopped the run in the middle of a read: end the read, so
            // the caller can still use the reader (read the rest, or complete it).
            if (reading) reader.AdvanceTo(examined.Start);
            while (inFlight.TryDequeue(out var abandoned))
            {
                // The consumer left early or an error stopped the run: a block's task may still read its
                // bytes, so wait for it before its buffer goes back to the pool.
                try { await Finish(abandoned).ConfigureAwait(false); }
                catch (Exception) { } // its error is not the one being reported
            }
            if (scratch.Length > 0) ArrayPool<byte>.Shared.Return(scratch);
            while (free.TryPop(out TBlock? block)) block.Release();
        }
    }

    /// <summary>A pipelined block's units, once they are encoded; its bytes go back to the pool.</summary>
    private static async Task<TBlock> Finish<TBlock>((Task<TBlock> Encoding, byte[] Bytes) block)
    {
        try
        {
            return await block.Encoding.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block.Bytes);
        }
    }

    private void CheckChunkLength(long length, long start)
    {
        if (length > MaxChunkLength)
            throw new InputLimitExceededException($"the {(_lines is null ? "chunk" : "line")} at byte {start:N0} is longer than the limit of {MaxChunkLength:N0} bytes (at least {length:N0})", start);
    }

    /// <summary>
    /// The bytes to encode of a segment of a long chunk (cut where NFC cannot reach across), checked and normalized like a block
    /// (<paramref name="rented"/> as <see cref="Normalized"/> gives it).
    /// </summary>
    private ReadOnlyMemory<byte> Prepared(ReadOnlyMemory<byte> bytes, long offset, out byte[]? rented)
    {
        if (!Raw && !Utf8.IsValid(bytes.Span)) Utf8Text.Decode(bytes.Span, new StringBuilder(), DecodePolicy.Strict, isFinal: true, offset); // throws with the offset
        return Normalized(bytes, out rented);
    }

    /// <summary>The end of the first complete unit (chunk, or line) in <paramref name="buffer"/>, or 0 if none yet.</summary>
    private long FirstCommit(in ReadOnlySequence<byte> buffer) => _lines is null ? FirstCommitPoint(buffer) : SentenceLines.FirstLineEnd(buffer);

    /// <summary>The end of the last complete unit (chunk, or line) in <paramref name="buffer"/> at or after <paramref name="from"/>, or 0 if none.</summary>
    private long LastCommit(in ReadOnlySequence<byte> buffer, long from) => _lines is null ? LastCommitPoint(buffer, from) : SentenceLines.LastLineEnd(buffer, from);

    /// <summary>The units (chunks, or lines) of a block of whole units.</summary>
    private long CountUnits(ReadOnlySpan<byte> block) => _lines is null ? Chunker.CountChunks(block) : SentenceLines.Count(block);

    /// <summary>The end of the first complete chunk in <paramref name="buffer"/>, or 0 if none yet.</summary>
    internal static long FirstCommitPoint(in ReadOnlySequence<byte> buffer) => Math.Max(0, ChunkEndIn(buffer, afterNewline: false));

    /// <summary>
    /// The first position in <paramref name="buffer"/> after a <c>\n</c> and before another byte (position 0
    /// counts when the byte before the buffer, <paramref name="afterNewline"/>, was a <c>\n</c>); -1 if none.
    /// </summary>
    private static long ChunkEndIn(in ReadOnlySequence<byte> buffer, bool afterNewline)
    {
        long position = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlySpan<byte> span = segment.Span;
            int run = afterNewline ? 0 : span.IndexOf((byte)'\n'); // where a newline run starts or goes on
            if (run >= 0)
            {
                int other = span[run..].IndexOfAnyExcept((byte)'\n');
                if (other >= 0) return position + run + other;
                afterNewline = true; // the segment ends inside the run
            }
            position += span.Length;
        }
        return -1;
    }

    /// <summary>
    /// The end of the last complete chunk in <paramref name="buffer"/> (a position after a <c>\n</c> whose
    /// next byte is not <c>\n</c>), looking only at positions from <paramref name="from"/> on; 0 if none.
    /// </summary>
    internal static long LastCommitPoint(in ReadOnlySequence<byte> buffer, long from)
    {
        // Backwards, segment by segment, with vectorized searches: the answer is usually near the end.
        var segments = new List<(long Start, ReadOnlyMemory<byte> Memory)>();
        long start = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (!segment.IsEmpty) segments.Add((start, segment));
            start += segment.Length;
        }
        for (int k = segments.Count - 1; k >= 0; k--)
        {
            var (segmentStart, memory) = segments[k];
            if (segmentStart + memory.Length <= from) break;
            ReadOnlySpan<byte> span = memory.Span;
            int end = Chunker.LastCompleteChunkEnd(span);
            if (end > 0) return segmentStart + end >= from ? segmentStart + end : 0;
            // A commit point at the segment's start: the previous segment ends with a newline.
            if (k > 0 && span[0] != (byte)'\n' && segments[k - 1].Memory.Span[^1] == (byte)'\n')
                return segmentStart >= from ? segmentStart : 0;
        }
        return 0;
    }

    /// <summary>The ids of the whole input, one at a time.</summary>
    /// <exception cref="InvalidUtf8Exception">Text mode and the input is not valid UTF-8.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<int> EncodeAsync(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (EncodedBlock block in EncodeBlocksAsync(reader, cancellationToken).ConfigureAwait(false))
            for (int k = 0; k < block.Ids.Length; k++) yield return block.Ids[k];
    }

    /// <summary>
    /// Encodes <paramref name="input"/> into <paramref name="output"/> as little-endian 32-bit ids, a block of
    /// parts at a time, flushing after each (so a slow consumer applies back-pressure), and completes the writer.
    /// </summary>
    /// <returns>The number of ids written.</returns>
    public async Task<long> EncodeAsync(PipeReader input, PipeWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        long count = 0;
        await foreach (EncodedBlock block in EncodeBlocksAsync(input, cancellationToken).ConfigureAwait(false))
        {
            WriteLittleEndian(block.Ids, output);
            count += block.Ids.Length;
            FlushResult flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flushed.IsCanceled || flushed.IsCompleted) break; // the reader of the output went away
        }
        await output.CompleteAsync().ConfigureAwait(false);
        return count;
    }

    private static void WriteLittleEndian(ReadOnlySpan<int> ids, PipeWriter output)
    {
        Span<byte> span = output.GetSpan(ids.Length * 4)[..(ids.Length * 4)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(ids).CopyTo(span);
        else for (int k = 0; k < ids.Length; k++) BinaryPrimitives.WriteInt32LittleEndian(span[(4 * k)..], ids[k]);
        output.Advance(span.Length);
    }

    /// <summary>
    /// The ids of a stream's content, one at a time (the stream is left open). With several threads it is
    /// read in large blocks, so that blocks can encode in parallel (a <see cref="PipeReader"/> of your own
    /// should do the same: input committed in small reads is encoded on the caller's thread).
    /// </summary>
    public IAsyncEnumerable<int> EncodeAsync(Stream stream, CancellationToken cancellationToken = default)
        => EncodeAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: Threads > 1 ? BlockSize : -1, leaveOpen: true)), cancellationToken);

    /// <summary>A block of a sentence model's pieces, a line each (the ids have <see cref="EncodedBlock"/>).</summary>
    private sealed class Units<T> : IEncodedUnits
    {
        public List<T> Items { get; } = [];

        public int Count => Items.Count;

        public void Clear() => Items.Clear();

        public void Release() => Items.Clear();
    }

    /// <summary>
    /// Encodes a block of whole units into <paramref name="units"/>: the units' first has index <paramref name="firstUnit"/>
    /// in the input (its random streams follow from it) and starts at input byte <paramref name="offset"/> (for errors).
    /// </summary>
    private TBlock EncodeBlock<TBlock>(TBlock units, ReadOnlyMemory<byte> block, long offset, long firstUnit, UnitEncoder<TBlock> encode)
    {
        ReadOnlyMemory<byte> prepared = PreparedBlock(block, offset, out byte[]? rented);
        try
        {
            for (int pos = 0, count = 0; pos < prepared.Length; count++)
                pos = EncodeUnitAt(units, prepared, pos, firstUnit + count, encode);
            return units;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// A block of whole units checked (unit lengths, UTF-8 unless raw: errors name the input byte, counted
    /// from <paramref name="offset"/>) and, for a BytePiece model, normalized: the bytes its units encode from
    /// (<paramref name="rented"/> as <see cref="Normalized"/> gives it).
    /// </summary>
    private ReadOnlyMemory<byte> PreparedBlock(ReadOnlyMemory<byte> block, long offset, out byte[]? rented)
    {
        rented = null;
        ReadOnlySpan<byte> span = block.Span;
        if (MaxChunkLength < span.Length)
            for (int start = 0, end; start < span.Length; start = end)
            {
                int textEnd;
                if (_lines is null) textEnd = end = Chunker.ChunkEnd(span, start);
                else (textEnd, end) = SentenceLines.Line(span, start);
                CheckChunkLength(textEnd - start, offset + start);
            }
        if (!Raw && !Utf8.IsValid(span)) Utf8Text.Decode(span, new StringBuilder(), DecodePolicy.Strict, isFinal: true, offset); // throws with the offset
        return _lines is null ? Normalized(block, out rented) : block;
    }

    /// <summary>
    /// Encodes the unit (a chunk, or a line without its <c>\n</c>) at <paramref name="pos"/> of a prepared block
    /// into <paramref name="units"/>, with the random stream of unit <paramref name="index"/>; returns where the next unit starts.
    /// </summary>
    private int EncodeUnitAt<TBlock>(TBlock units, ReadOnlyMemory<byte> block, int pos, long index, UnitEncoder<TBlock> encode)
    {
        ReadOnlySpan<byte> span = block.Span;
        int textEnd, next;
        if (_lines is null) textEnd = next = Chunker.ChunkEnd(span, pos);
        else (textEnd, next) = SentenceLines.Line(span, pos);
        SamplingOptions? sampling = Sampling is { } s ? s with { FirstChunk = s.FirstChunk + index } : _lines is null ? null : Viterbi;
        encode(units, span[pos..textEnd], sampling);
        return next;
    }

    /// <summary>
    /// The bytes the engine encodes for a block of whole chunks: as they are (raw, or already NFC), else
    /// the UTF-8 of the block's NFC form; NFC never reaches across chunk boundaries, so normalizing a
    /// block equals normalizing each chunk (and the whole text).
    /// </summary>
    /// <remarks>
    /// The caller has checked that the bytes are valid UTF-8 (in text mode). Only the chunks holding a character
    /// the quick check is not sure of go through NFC (one such character used to cost its whole ~1 MB block, about
    /// 2% of a run over mixed text). A block that NFC changes is written into <paramref name="rented"/>, from the
    /// shared pool, which the caller returns once it has encoded the block: a fresh array per block would pile up on
    /// the large object heap between full collections (resident memory grew by about 30 MB over a 220 MB file).
    /// </remarks>
    private ReadOnlyMemory<byte> Normalized(ReadOnlyMemory<byte> block, out byte[]? rented)
    {
        rented = null;
        ReadOnlySpan<byte> span = block.Span;
        if (Raw || _bytePiece!.Model.Normalization == TextNormalization.None) return block;
        int copied = 0, length = 0; // the input bytes already in `rented`, and its length
        for (int pos = 0; pos < span.Length;)
        {
            int doubt = pos + NfcBoundary.QuickNfcLength(span[pos..]);
            if (doubt == span.Length) break; // most text is NFC already
            // The chunk holding it: chunk ends are where NFC cannot reach across (pos is always one).
            int chunkStart = pos + span[pos..doubt].LastIndexOf((byte)'\n') + 1;
            int chunkEnd = Chunker.ChunkEnd(span, doubt);
            if (NormalizedChunk(span[chunkStart..chunkEnd]) is { } normalized)
            {
                Append(ref rented, ref length, span[copied..chunkStart]);
                Append(ref rented, ref length, normalized);
                copied = chunkEnd;
            }
            pos = chunkEnd;
        }
        if (rented is null) return block;
        Append(ref rented, ref length, span[copied..]);
        return rented.AsMemory(0, length);
    }

    /// <summary>Appends <paramref name="bytes"/> to a pooled buffer, renting or growing it as needed.</summary>
    private static void Append(ref byte[]? buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (buffer is null || buffer.Length - length < bytes.Length)
        {
            byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(length + bytes.Length, buffer is null ? 1 << 16 : 2 * buffer.Length));
            if (buffer is not null)
            {
                buffer.AsSpan(0, length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(buffer);
            }
            buffer = grown;
        }
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>The UTF-8 of a chunk's NFC form, or null when it is NFC already.</summary>
    private static byte[]? NormalizedChunk(ReadOnlySpan<byte> chunk)
    {
        // In pooled UTF-16 buffers: a long run of marks is normalized whole, and should cost its size once.
        char[] text = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetCharCount(chunk));
        char[]? normalized = null;
        try
        {
            ReadOnlySpan<char> chars = text.AsSpan(0, Encoding.UTF8.GetChars(chunk, text));
            // ICU orders a long mixed run of marks in quadratic time (checking too); UnicodeForms in linear time.
            if (UnicodeForms.HasLongMarkRun(chars)) return Encoding.UTF8.GetBytes(UnicodeForms.Normalize(new string(chars), NormalizationForm.FormC));
            if (chars.IsNormalized(NormalizationForm.FormC)) return null;
            normalized = ArrayPool<char>.Shared.Rent(chars.GetNormalizedLength(NormalizationForm.FormC));
            if (!chars.TryNormalize(normalized, out int written, NormalizationForm.FormC)) throw new InvalidOperationException("NFC grew past its computed length");
            return Encoding.UTF8.GetBytes(normalized, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(text);
            if (normalized is not null) ArrayPool<char>.Shared.Return(normalized);
        }
    }

    private static ReadOnlyMemory<byte> ContiguousMemory(in ReadOnlySequence<byte> buffer, ref byte[] scratch)
    {
        if (buffer.IsSingleSegment) return buffer.First;
        int length = checked((int)buffer.Length);
        if (scratch.Length < length)
        {
            if (scratch.Length > 0) ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        buffer.CopyTo(scratch);
        return scratch.AsMemory(0, length);
    }
}
