using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace BytePiece.Cli;

/// <summary>What a writer needs to know of a model: its size, how a piece is shown, and the bos/eos ids.</summary>
internal sealed record IdVocabulary(int VocabSize, Func<int, string> PieceText, int BosId, int EosId)
{
    public static IdVocabulary Of(BytePieceTokenizer tokenizer) => new(tokenizer.VocabSize,
        id => (uint)id < SpecialTokens.Count ? SpecialTokens.GetText(id) : BytePiece.PieceText.FormatForListing(tokenizer.Model.GetPieceBytes(id)),
        SpecialTokens.BosId, SpecialTokens.EosId);
}

/// <summary>Writes encoded parts in one of the <c>encode --format</c> formats.</summary>
internal abstract class IdWriter(IdVocabulary vocabulary, bool bos, bool eos)
{
    protected bool Bos { get; } = bos;
    protected bool Eos { get; } = eos;
    protected IdVocabulary Vocabulary { get; } = vocabulary;

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

    public virtual void Begin(Stream output)
    {
        if (Bos) WriteId(output, Vocabulary.BosId);
    }

    public virtual void Write(EncodedPart part, Stream output)
    {
        foreach (int id in part.Ids) WriteId(output, id);
    }

    public virtual void End(Stream output)
    {
        if (Eos) WriteId(output, Vocabulary.EosId);
    }

    protected abstract void WriteId(Stream output, int id);

    /// <summary>ids / pieces: one line per chunk, tokens separated by spaces; bos on the first line, eos on the last.</summary>
    private sealed class LineWriter(IdVocabulary vocabulary, bool pieces, bool bos, bool eos) : IdWriter(vocabulary, bos, eos)
    {
        private readonly byte[] _number = new byte[16];
        private bool _lineOpen;   // tokens written on the current line
        private bool _chunkEnded; // the last part ended a chunk: the next one starts a new line
        private bool _emptyLine;  // the last part was a whole chunk without tokens (an empty sentence): it still gets its line

        public override void Write(EncodedPart part, Stream output)
        {
            if (_chunkEnded)
            {
                output.WriteByte((byte)'\n');
                _lineOpen = false;
            }
            base.Write(part, output);
            _emptyLine = part.EndsChunk && !_lineOpen;
            _chunkEnded = part.EndsChunk;
        }

        public override void End(Stream output)
        {
            base.End(output);
            if (_lineOpen || _emptyLine) output.WriteByte((byte)'\n');
        }

        protected override void WriteId(Stream output, int id)
        {
            if (_lineOpen) output.WriteByte((byte)' ');
            _lineOpen = true;
            if (pieces)
            {
                output.Write(Encoding.UTF8.GetBytes(Vocabulary.PieceText(id)));
                return;
            }
            Utf8Formatter.TryFormat(id, _number, out int length);
            output.Write(_number, 0, length);
        }
    }

    /// <summary>bin16 / bin32: the ids as little-endian unsigned integers, nothing else.</summary>
    private class BinaryWriter(IdVocabulary vocabulary, int bytesPerId, bool bos, bool eos) : IdWriter(vocabulary, bos, eos)
    {
        private byte[] _buffer = new byte[4096];

        protected long Count { get; private set; }

        protected int BytesPerId { get; } = bytesPerId;

        /// <summary>A part's ids are converted into one buffer and written with one call.</summary>
        public override void Write(EncodedPart part, Stream output)
        {
            int size = part.Ids.Length * BytesPerId;
            if (_buffer.Length < size) _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
            Span<byte> span = _buffer.AsSpan(0, size);
            for (int k = 0; k < part.Ids.Length; k++)
            {
                if (BytesPerId == 2) BinaryPrimitives.WriteUInt16LittleEndian(span[(2 * k)..], (ushort)part.Ids[k]);
                else BinaryPrimitives.WriteUInt32LittleEndian(span[(4 * k)..], (uint)part.Ids[k]);
            }
            output.Write(span);
            Count += part.Ids.Length;
        }

        protected override void WriteId(Stream output, int id) => Write(new EncodedPart([id], EndsChunk: false), output);
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
        private readonly byte[] _number = new byte[16];
        private bool _open; // inside an object
        private bool _first;

        public override void Begin(Stream output) { }

        public override void Write(EncodedPart part, Stream output)
        {
            if (!_open)
            {
                output.Write("{\"ids\": ["u8);
                _open = true;
                _first = true;
                if (Bos) WriteId(output, Vocabulary.BosId);
            }
            foreach (int id in part.Ids) WriteId(output, id);
            if (part.EndsChunk) Close(output);
        }

        public override void End(Stream output)
        {
            if (_open) Close(output);
        }

        private void Close(Stream output)
        {
            if (Eos) WriteId(output, Vocabulary.EosId);
            output.Write("]}\n"u8);
            _open = false;
        }

        protected override void WriteId(Stream output, int id)
        {
            if (!_first) output.Write(", "u8);
            _first = false;
            Utf8Formatter.TryFormat(id, _number, out int length);
            output.Write(_number, 0, length);
        }
    }
}
