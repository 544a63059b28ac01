using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;

namespace BytePiece.Cli;

/// <summary>What a writer needs to know of a model: its size, how a piece is shown, and the bos/eos ids.</summary>
internal sealed record IdVocabulary(int VocabSize, Func<int, string> PieceText, int BosId, int EosId)
{
    public static IdVocabulary Of(BytePieceTokenizer tokenizer) => new(tokenizer.VocabSize,
        id => (uint)id < SpecialTokens.Count ? SpecialTokens.GetText(id) : BytePiece.PieceText.FormatForListing(tokenizer.Model.GetPieceBytes(id)),
        SpecialTokens.BosId, SpecialTokens.EosId);
}

/// <summary>
/// Writes encoded parts in one of the <c>encode --format</c> formats: each block of parts (and bos/eos) is
/// formatted into one buffer and written to the stream with one call.
/// </summary>
internal abstract class IdWriter(IdVocabulary vocabulary, bool bos, bool eos)
{
    private readonly ArrayBufferWriter<byte> _pending = new(1 << 12);

    protected bool Bos { get; } = bos;
    protected bool Eos { get; } = eos;
    protected IdVocabulary Vocabulary { get; } = vocabulary;

    /// <summary>Where a part is formatted before it is written.</summary>
    protected IBufferWriter<byte> Pending => _pending;

    public static IdWriter Create(string format, IdVocabulary vocabulary, bool bos, bool eos, string? outputPath)
    {
        bool wide = vocabulary.VocabSize > 1 << 16;
        if ((bos && vocabulary.BosId < 0) || (eos && vocabulary.EosId < 0))
            throw new CliException(ExitCodes.Usage, $"the model has no {(bos && vocabulary.BosId < 0 ? "beginning" : "end")}-of-sentence piece for --{(bos && vocabulary.BosId < 0 ? "bos" : "eos")}");
        return format switch
        {
            "ids" => new LineWriter(vocabulary, pieces: false, bos, eos),
            "pieces" => new LineWriter(vocabulary, pieces: true, bos, eos),
            "bin16" when wide => throw new CliException(ExitCodes.Usage, $"bin16 cannot hold ids up to {vocabulary.VocabSize - 1}; use bin32"),
            "bin16" => new BinaryWriter(vocabulary, bytesPerId: 2, bos, eos),
            "bin32" => new BinaryWriter(vocabulary, bytesPerId: 4, bos, eos),
            "npy" when outputPath is null or "-" => throw new CliException(ExitCodes.Usage, "npy needs --output FILE (its header holds the length, written last)"),
            "npy" => new NpyWriter(vocabulary, bytesPerId: wide ? 4 : 2, bos, eos),
            "jsonl" => new JsonlWriter(vocabulary, bos, eos),
            _ => throw new CliException(ExitCodes.Usage, $"unknown format {format}"),
        };
    }

    /// <summary>
    /// Runs the encode (<paramref name="write"/>, which calls <see cref="Begin"/>, <see cref="Write"/> and <see cref="End"/>)
    /// into the format's output at <paramref name="path"/>: one file written atomically, or stdout (see <see cref="CliIO.WriteOutput"/>).
    /// </summary>
    public virtual void WriteOutput(CliIO io, string? path, Action<Stream> write, string? inputPath) => io.WriteOutput(path, write, inputPath);

    public virtual void Begin(Stream output)
    {
        if (Bos) WriteId(Vocabulary.BosId);
        Flush(output);
    }

    /// <summary>Writes a block of parts with one call.</summary>
    public void Write(EncodedBlock block, Stream output)
    {
        WriteParts(block);
        Flush(output);
    }

    /// <summary>Formats a block's parts into <see cref="Pending"/>: their ids one after the other, unless the format marks where parts end.</summary>
    protected virtual void WriteParts(EncodedBlock block) => WriteIds(block.Ids);

    public virtual void End(Stream output)
    {
        if (Eos) WriteId(Vocabulary.EosId);
        Flush(output);
    }

    /// <summary>Formats ids into <see cref="Pending"/>.</summary>
    protected virtual void WriteIds(ReadOnlySpan<int> ids)
    {
        foreach (int id in ids) WriteId(id);
    }

    /// <summary>Formats one id into <see cref="Pending"/>.</summary>
    protected abstract void WriteId(int id);

    /// <summary>Writes what is pending with one call.</summary>
    protected void Flush(Stream output)
    {
        if (_pending.WrittenCount == 0) return;
        output.Write(_pending.WrittenSpan);
        _pending.ResetWrittenCount();
    }

    protected void Put(ReadOnlySpan<byte> bytes) => Pending.Write(bytes);

    protected void PutNumber(int id)
    {
        Utf8Formatter.TryFormat(id, Pending.GetSpan(11), out int length);
        Pending.Advance(length);
    }

    /// <summary>ids / pieces: one line per chunk, tokens separated by spaces; bos on the first line, eos on the last.</summary>
    private sealed class LineWriter(IdVocabulary vocabulary, bool pieces, bool bos, bool eos) : IdWriter(vocabulary, bos, eos)
    {
        private bool _lineOpen;   // tokens written on the current line
        private bool _chunkEnded; // the last part ended a chunk: the next one starts a new line
        private bool _emptyLine;  // the last part was a whole chunk without tokens (an empty sentence): it still gets its line

        protected override void WriteParts(EncodedBlock block)
        {
            for (int k = 0; k < block.Count; k++)
            {
                if (_chunkEnded)
                {
                    Put("\n"u8);
                    _lineOpen = false;
                }
                WriteIds(block.PartIds(k));
                bool endsChunk = block.EndsChunk(k);
                _emptyLine = endsChunk && !_lineOpen;
                _chunkEnded = endsChunk;
            }
        }

        public override void End(Stream output)
        {
            if (Eos) WriteId(Vocabulary.EosId);
            if (_lineOpen || _emptyLine) Put("\n"u8);
            Flush(output);
        }

        protected override void WriteId(int id)
        {
            if (_lineOpen) Put(" "u8);
            _lineOpen = true;
            if (pieces) Encoding.UTF8.GetBytes(Vocabulary.PieceText(id), Pending);
            else PutNumber(id);
        }
    }

    /// <summary>bin16 / bin32: the ids as little-endian unsigned integers, nothing else.</summary>
    private class BinaryWriter(IdVocabulary vocabulary, int bytesPerId, bool bos, bool eos) : IdWriter(vocabulary, bos, eos)
    {
        protected long Count { get; private set; }

        protected int BytesPerId { get; } = bytesPerId;

        /// <summary>A block's ids are converted into one span (bin32 on a little-endian machine: copied as they are).</summary>
        protected override void WriteIds(ReadOnlySpan<int> ids)
        {
            int size = ids.Length * BytesPerId;
            Span<byte> span = Pending.GetSpan(size)[..size];
            if (BytesPerId == 4 && BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(ids).CopyTo(span);
            else
                for (int k = 0; k < ids.Length; k++)
                {
                    if (BytesPerId == 2) BinaryPrimitives.WriteUInt16LittleEndian(span[(2 * k)..], (ushort)ids[k]);
                    else BinaryPrimitives.WriteUInt32LittleEndian(span[(4 * k)..], (uint)ids[k]);
                }
            Pending.Advance(size);
            Count += ids.Length;
        }

        protected override void WriteId(int id) => WriteIds([id]);
    }

    /// <summary>npy (format 1.0): a header with dtype and shape, then the ids; the shape is filled in at the end.</summary>
    private sealed class NpyWriter(IdVocabulary vocabulary, int bytesPerId, bool bos, bool eos) : BinaryWriter(vocabulary, bytesPerId, bos, eos)
    {
        private const int HeaderLength = 128; // magic + version + length + padded dictionary, a multiple of 64

        public override void Begin(Stream output)
        {
            output.Write(Header(0));
            base.Begin(output);
        }

        public override void End(Stream output)
        {
            base.End(output);
            output.Flush();
            output.Seek(0, SeekOrigin.Begin);
            output.Write(Header(Count));
            output.Seek(0, SeekOrigin.End);
        }

        private byte[] Header(long count)
        {
            string dict = $"{{'descr': '<u{BytesPerId}', 'fortran_order': False, 'shape': ({count},), }}";
            var header = new byte[HeaderLength];
            header[0] = 0x93; // magic: \x93NUMPY
            "NUMPY"u8.CopyTo(header.AsSpan(1));
            header[6] = 1; // version 1.0
            header[7] = 0;
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), HeaderLength - 10);
            byte[] text = Encoding.ASCII.GetBytes(dict.PadRight(HeaderLength - 10 - 1) + "\n");
            text.CopyTo(header, 10);
            return header;
        }
    }

    /// <summary>jsonl: one object per chunk, {"ids": [...]}, with bos/eos around each chunk's ids.</summary>
    private sealed class JsonlWriter(IdVocabulary vocabulary, bool bos, bool eos) : IdWriter(vocabulary, bos, eos)
    {
        private bool _open; // inside an object
        private bool _first;

        public override void Begin(Stream output) { }

        protected override void WriteParts(EncodedBlock block)
        {
            for (int k = 0; k < block.Count; k++)
            {
                if (!_open)
                {
                    Put("{\"ids\": ["u8);
                    _open = true;
                    _first = true;
                    if (Bos) WriteId(Vocabulary.BosId);
                }
                WriteIds(block.PartIds(k));
                if (block.EndsChunk(k)) Close();
            }
        }

        public override void End(Stream output)
        {
            if (_open) Close();
            Flush(output);
        }

        private void Close()
        {
            if (Eos) WriteId(Vocabulary.EosId);
            Put("]}\n"u8);
            _open = false;
        }

        protected override void WriteId(int id)
        {
            if (!_first) Put(", "u8);
            _first = false;
            PutNumber(id);
        }
    }
}
