using System.Buffers;
using System.Text;

namespace BytePiece.Streaming;

/// <summary>
/// The streaming encoder's side of a sentence model (SentencePiece <c>.model</c>, tokenizer.json): one line
/// (without its <c>\n</c>) is one sentence, encoded as the model's own tool encodes a string (spm_encode, HF's
/// encode), with the model's <c>bos</c>/<c>eos</c> around it when asked.
/// </summary>
internal abstract class SentenceLines
{
    /// <summary>The line rule for <paramref name="tokenizer"/>, or null for a BytePiece model (its chunks are the units).</summary>
    /// <exception cref="ArgumentException">bos/eos asked of a BytePiece model, or of a SentencePiece model without such a piece.</exception>
    public static SentenceLines? For(UnigramTokenizer tokenizer, bool bos, bool eos) => tokenizer switch
    {
        SentencePieceTokenizer spm => new SentencePieceLines(spm, bos, eos),
        HuggingFaceTokenizer hf => new HuggingFaceLines(hf, bos || eos),
        _ when bos || eos => throw new ArgumentException("a BytePiece stream has no sentences: write SpecialTokens.BosId/EosId around the ids yourself", nameof(bos)),
        _ => null,
    };

    /// <summary>Appends one sentence's ids to <paramref name="block"/> (the part is closed by the caller).</summary>
    public abstract void AddIds(ReadOnlySpan<byte> line, SamplingOptions sampling, EncodedBlock block);

    /// <summary>One sentence's pieces as the model's tool prints them.</summary>
    public abstract IReadOnlyList<string> Pieces(ReadOnlySpan<byte> line, SamplingOptions sampling);

    /// <summary>The end (exclusive) of the last whole line in <paramref name="buffer"/> (after its <c>\n</c>), looking at positions from <paramref name="from"/> on; 0 if none.</summary>
    public static long LastLineEnd(in ReadOnlySequence<byte> buffer, long from)
    {
        if (buffer.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int start = (int)Math.Min(from, span.Length);
            int last = span[start..].LastIndexOf((byte)'\n');
            return last < 0 ? 0 : start + last + 1;
        }
        long end = 0, position = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlySpan<byte> span = segment.Span;
            if (position + span.Length > from)
            {
                int start = (int)Math.Max(0, from - position);
                int last = span[start..].LastIndexOf((byte)'\n');
                if (last >= 0) end = position + start + last + 1;
            }
            position += span.Length;
        }
        return end;
    }

    /// <summary>The end (exclusive) of the first whole line in <paramref name="buffer"/>; 0 if none.</summary>
    public static long FirstLineEnd(in ReadOnlySequence<byte> buffer)
    {
        SequencePosition? newline = buffer.PositionOf((byte)'\n');
        return newline is { } at ? buffer.Slice(0, at).Length + 1 : 0;
    }

    /// <summary>Where the line starting at <paramref name="start"/> ends (its text) and where the next starts (after its <c>\n</c>).</summary>
    public static (int TextEnd, int Next) Line(ReadOnlySpan<byte> block, int start)
    {
        int newline = block[start..].IndexOf((byte)'\n');
        return newline < 0 ? (block.Length, block.Length) : (start + newline, start + newline + 1);
    }

    /// <summary>Lines in a block of whole lines (a last line without <c>\n</c> counts when not empty).</summary>
    public static long Count(ReadOnlySpan<byte> block)
        => block.IsEmpty ? 0 : block.Count((byte)'\n') + (block[^1] == (byte)'\n' ? 0 : 1);

    private sealed class SentencePieceLines : SentenceLines
    {
        private readonly SentencePieceTokenizer _tokenizer;
        private readonly bool _bos, _eos;

        public SentencePieceLines(SentencePieceTokenizer tokenizer, bool bos, bool eos)
        {
            if (bos && tokenizer.Model.BosId < 0) throw new ArgumentException("the model has no beginning-of-sentence piece", nameof(bos));
            if (eos && tokenizer.Model.EosId < 0) throw new ArgumentException("the model has no end-of-sentence piece", nameof(eos));
            (_tokenizer, _bos, _eos) = (tokenizer, bos, eos);
        }

        public override void AddIds(ReadOnlySpan<byte> line, SamplingOptions sampling, EncodedBlock block)
        {
            if (_bos) block.Add([_tokenizer.Model.BosId]);
            var sink = new EncodedBlock.Sink(block);
            _tokenizer.Encode(line, ref sink, sampling: sampling);
            if (_eos) block.Add([_tokenizer.Model.EosId]);
        }

        public override IReadOnlyList<string> Pieces(ReadOnlySpan<byte> line, SamplingOptions sampling)
        {
            IReadOnlyList<string> pieces = _tokenizer.EncodeToPieces(line, sampling);
            if (!_bos && !_eos) return pieces;
            var all = new List<string>(pieces.Count + 2);
            if (_bos) all.Add(_tokenizer.Model.IdToPiece(_tokenizer.Model.BosId));
            all.AddRange(pieces);
            if (_eos) all.Add(_tokenizer.Model.IdToPiece(_tokenizer.Model.EosId));
            return all;
        }
    }

    /// <summary>tokenizer.json: bos or eos asked means the post-processor's template (it says where its specials go).</summary>
    private sealed class HuggingFaceLines(HuggingFaceTokenizer tokenizer, bool template) : SentenceLines
    {
        public override void AddIds(ReadOnlySpan<byte> line, SamplingOptions sampling, EncodedBlock block)
        {
            var sink = new EncodedBlock.Sink(block);
            tokenizer.EncodeIds(Encoding.UTF8.GetString(line), sampling, template, ref sink);
        }

        public override IReadOnlyList<string> Pieces(ReadOnlySpan<byte> line, SamplingOptions sampling)
            => [.. tokenizer.EncodeToPieceTokens(Encoding.UTF8.GetString(line), sampling, template).Select(t => t.Value)];
    }
}
