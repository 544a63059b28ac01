using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BytePiece.Cli;

/// <summary>
/// <c>encode --format megatron</c>: a Megatron-LM indexed dataset, <c>PREFIX.bin</c> + <c>PREFIX.idx</c>
/// (<see cref="MegatronIndex"/>), as Megatron's <c>tools/preprocess_data.py</c> writes one: a document per chunk
/// (a line and its newlines) or, for a <c>.model</c> or <c>tokenizer.json</c>, per line, each one sequence; bos/eos
/// around each document (<c>--append-eod</c>). A document without tokens of its own (an empty line) is recorded as
/// preprocess_data.py records an empty document: a document index with no sequence, and no bos/eos.
/// </summary>
/// <remarks>
/// The tokens go to the data file as they come; the index's lengths and document ends go to spill files
/// (<see cref="SpillFile{T}"/>) and the index is written from them at the end, so memory does not grow with the input.
/// </remarks>
internal sealed class MegatronWriter : IdWriter
{
    private readonly string _prefix;
    private readonly byte _dtype;
    private readonly int _emptyUnit;
    private SpillFile<int>? _lengths;
    private SpillFile<long>? _ends;
    private long _documentLength; // tokens of the open document written so far
    private bool _documentOpen;   // a part of it has come (a long chunk comes in several)

    private MegatronWriter(IdVocabulary vocabulary, bool bos, bool eos, byte dtype, int emptyUnit, string prefix) : base(vocabulary, bos, eos)
        => (_dtype, _emptyUnit, _prefix) = (dtype, emptyUnit, prefix);

    /// <summary>
    /// The writer for <paramref name="tokenizer"/>. BytePiece: the writer puts bos/eos around each chunk (the
    /// encoder gives none). Sentence models: the encoder puts the model's own around each line (a .model's bos/eos,
    /// a tokenizer.json's post-processor), so a line that had no tokens of its own is one that got exactly what an
    /// empty line gets.
    /// </summary>
    /// <exception cref="CliException">Exit 1: no output file, or bos/eos the model does not have.</exception>
    public static MegatronWriter Create(UnigramTokenizer tokenizer, IdVocabulary vocabulary, bool bos, bool eos, string? output)
    {
        if (output is null or "-")
            throw new CliException(ExitCodes.Usage, "megatron needs --output PREFIX: it writes two files, PREFIX.bin and PREFIX.idx");
        if (tokenizer is BytePieceTokenizer && ((bos && vocabulary.BosId < 0) || (eos && vocabulary.EosId < 0)))
            throw new CliException(ExitCodes.Usage, $"the model has no {(bos && vocabulary.BosId < 0 ? "beginning" : "end")}-of-sentence piece for --{(bos && vocabulary.BosId < 0 ? "bos" : "eos")}");
        int emptyUnit = tokenizer switch
        {
            SentencePieceTokenizer => (bos ? 1 : 0) + (eos ? 1 : 0),
            HuggingFaceTokenizer hf when bos || eos => hf.EncodeToIds("", addSpecialTokens: true).Count,
            _ => 0,
        };
        bool writerAddsSpecials = tokenizer is BytePieceTokenizer;
        return new MegatronWriter(vocabulary, bos && writerAddsSpecials, eos && writerAddsSpecials,
            MegatronIndex.DTypeFor(tokenizer.VocabSize), emptyUnit, MegatronFiles.Prefix(output));
    }

    /// <summary>
    /// Runs the encode (<paramref name="write"/>, which calls <see cref="IdWriter.Begin"/>, <see cref="IdWriter.Write"/>
    /// and <see cref="End"/> on the data file) and writes the index after it: the pair at the prefix this writer was made for.
    /// </summary>
    public override void WriteOutput(CliIO io, string? path, Action<Stream> write, string? inputPath)
    {
        try
        {
            MegatronFiles.Write(_prefix, inputPath is null or "-" ? [] : [inputPath], write, WriteIndex);
        }
        finally
        {
            _lengths?.Dispose();
            _ends?.Dispose();
        }
    }

    public override void Begin(Stream output)
    {
        _lengths = new SpillFile<int>(MegatronFiles.IndexPath(_prefix), "lengths");
        _ends = new SpillFile<long>(MegatronFiles.IndexPath(_prefix), "ends");
    }

    protected override void WriteParts(EncodedBlock block)
    {
        for (int k = 0; k < block.Count; k++)
        {
            ReadOnlySpan<int> ids = block.PartIds(k);
            bool ends = block.EndsChunk(k);
            if (!(ends && !_documentOpen && ids.Length == _emptyUnit))
            {
                if (Bos && _documentLength == 0 && !ids.IsEmpty) WriteId(Vocabulary.BosId);
                WriteIds(ids);
            }
            _documentOpen = true;
            if (ends) EndDocument();
        }
    }

    public override void End(Stream output)
    {
        if (_documentOpen) EndDocument();
        Flush(output);
    }

    /// <summary>Records the open document: its sequence (after eos) unless it has no tokens, and its end.</summary>
    private void EndDocument()
    {
        if (_documentLength > 0)
        {
            if (Eos) WriteId(Vocabulary.EosId);
            if (_documentLength > int.MaxValue)
                throw new CliException(ExitCodes.LimitExceeded, $"a document of {_documentLength} tokens: a Megatron sequence length is an int32; no output file was written");
            _lengths!.Add((int)_documentLength);
        }
        _ends!.Add(_lengths!.Count);
        (_documentLength, _documentOpen) = (0, false);
    }

    /// <summary>The ids in the dataset's dtype: uint16 (each checked to fit) or int32, little-endian.</summary>
    protected override void WriteIds(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty) return;
        if (_dtype == MegatronIndex.Int32)
        {
            Span<byte> span = Pending.GetSpan(4 * ids.Length)[..(4 * ids.Length)];
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(ids).CopyTo(span);
            else for (int k = 0; k < ids.Length; k++) BinaryPrimitives.WriteInt32LittleEndian(span[(4 * k)..], ids[k]);
            Pending.Advance(span.Length);
        }
        else
        {
            Span<byte> span = Pending.GetSpan(2 * ids.Length)[..(2 * ids.Length)];
            for (int k = 0; k < ids.Length; k++)
            {
                if ((uint)ids[k] > ushort.MaxValue) throw new CliException(ExitCodes.BadModel, $"id {ids[k]} does not fit the dataset's uint16");
                BinaryPrimitives.WriteUInt16LittleEndian(span[(2 * k)..], (ushort)ids[k]);
            }
            Pending.Advance(span.Length);
        }
        _documentLength += ids.Length;
    }

    protected override void WriteId(int id) => WriteIds([id]);

    /// <summary>The index, from the spilled lengths (read twice: lengths, then pointers) and document ends.</summary>
    private void WriteIndex(Stream output)
    {
        var index = new MegatronIndexWriter(output, _dtype, _lengths!.Count, _ends!.Count);
        _lengths.ReadAll(index.AddLengths);
        _lengths.ReadAll(index.AddPointersOf);
        _ends.ReadAll(ends => index.AddDocumentEnds(ends, 0));
        index.Finish();
    }
}
