using System.Buffers.Binary;

namespace BytePiece.Cli;

/// <summary>
/// The index file (<c>.idx</c>) of a Megatron-LM indexed dataset, as <c>megatron/core/datasets/indexed_dataset.py</c>
/// writes it (<c>_IndexWriter</c>) and reads it (<c>_IndexReader</c>); GPT-NeoX and NeMo read the same layout. All
/// little-endian: the 9 bytes <c>MMIDIDX\0\0</c>, the version 1 (uint64), the dtype code of the tokens in the
/// <c>.bin</c> (uint8), the sequence count and the document index count (uint64); then the sequence lengths
/// (int32, in tokens), the sequence pointers (int64, byte offsets into the <c>.bin</c>) and the document indices
/// (int64: 0, then the number of sequences before each document's end, so one more than the documents).
/// </summary>
/// <param name="Path">The index file, for messages.</param>
/// <param name="DTypeCode">Megatron's <c>DType</c> code of the tokens.</param>
/// <param name="Sequences">The number of sequences.</param>
/// <param name="Documents">The number of documents (the document index count less one).</param>
internal sealed record MegatronIndex(string Path, byte DTypeCode, long Sequences, long Documents)
{
    /// <summary>The header's bytes before the arrays: magic (9), version (8), dtype (1), two counts (8 + 8).</summary>
    public const int HeaderLength = 34;

    /// <summary>Megatron's <c>DType.uint16</c>.</summary>
    public const byte UInt16 = 8;

    /// <summary>Megatron's <c>DType.int32</c>.</summary>
    public const byte Int32 = 4;

    private static ReadOnlySpan<byte> Magic => "MMIDIDX\0\0"u8;

    /// <summary>
    /// The dtype Megatron's preprocess_data.py gives a tokenizer's vocabulary (<c>DType.optimal_dtype</c>): uint16
    /// below 65,500 ids, else int32. Kept as Megatron decides it, so the same ids make the same bytes.
    /// </summary>
    public static byte DTypeFor(int vocabSize) => vocabSize < 65_500 ? UInt16 : Int32;

    /// <summary>
    /// The size of a token of <paramref name="code"/>, for the integer codes (uint8 1, int8 2, int16 3, int32 4,
    /// int64 5, uint16 8); 0 for the float codes (6, 7), which Megatron-LM and GPT-NeoX number the other way round.
    /// </summary>
    public static int ItemSize(byte code) => code switch
    {
        1 or 2 => 1,
        3 or 8 => 2,
        4 => 4,
        5 => 8,
        _ => 0,
    };

    /// <summary>numpy's name of an integer dtype code.</summary>
    public static string DTypeName(byte code) => code switch
    {
        1 => "uint8",
        2 => "int8",
        3 => "int16",
        4 => "int32",
        5 => "int64",
        8 => "uint16",
        _ => $"code {code}",
    };

    public int ItemSize() => ItemSize(DTypeCode);

    public long LengthsOffset => HeaderLength;

    public long PointersOffset => HeaderLength + 4 * Sequences;

    public long DocumentIndicesOffset => PointersOffset + 8 * Sequences;

    /// <summary>The exact length of the file: nothing may follow the document indices (a multimodal index has a mode per sequence there).</summary>
    public long FileLength => DocumentIndicesOffset + 8 * (Documents + 1);

    /// <summary>Writes the header of an index of <paramref name="sequences"/> sequences and <paramref name="documents"/> documents.</summary>
    public static void WriteHeader(Stream output, byte dtypeCode, long sequences, long documents)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header[9..], 1);
        header[17] = dtypeCode;
        BinaryPrimitives.WriteInt64LittleEndian(header[18..], sequences);
        BinaryPrimitives.WriteInt64LittleEndian(header[26..], documents + 1);
        output.Write(header);
    }

    /// <summary>Reads an index's header and checks it: magic, version, an integer dtype, and a file length that fits the counts.</summary>
    /// <exception cref="CliException">Exit 3: the file is not such an index.</exception>
    public static MegatronIndex ReadHeader(Stream input, string path)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        if (input.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false) < HeaderLength || !header[..9].SequenceEqual(Magic))
            throw Invalid(path, "not a Megatron indexed dataset index (no MMIDIDX header)");
        ulong version = BinaryPrimitives.ReadUInt64LittleEndian(header[9..]);
        if (version != 1) throw Invalid(path, $"index version {version}; only version 1 is known");
        byte code = header[17];
        if (ItemSize(code) == 0) throw Invalid(path, $"dtype code {code} is not an integer token type");
        ulong sequences = BinaryPrimitives.ReadUInt64LittleEndian(header[18..]), documentIndices = BinaryPrimitives.ReadUInt64LittleEndian(header[26..]);
        long length = input.Length;
        if (documentIndices == 0 || sequences > (ulong)length / 12 || documentIndices > (ulong)length / 8)
            throw Invalid(path, $"counts that do not fit the file ({sequences} sequences, {documentIndices} document indices, {length} bytes)");
        var index = new MegatronIndex(path, code, (long)sequences, (long)documentIndices - 1);
        if (length != index.FileLength)
            throw Invalid(path, index.Sequences > 0 && length == index.FileLength + index.Sequences
                ? "a multimodal index (a mode per sequence); only token datasets are read"
                : $"{length} bytes where its counts make {index.FileLength}");
        return index;
    }

    /// <summary>
    /// Checks the arrays against each other and against the data file: pointers are the running sum of the lengths
    /// (as Megatron's writer makes them, and as a merge recomputes them), the document indices start at 0, never go
    /// down and end at the sequence count, and the data file holds exactly the tokens the lengths count.
    /// </summary>
    /// <exception cref="CliException">Exit 3, naming the first inconsistency.</exception>
    public void Check(long dataLength)
    {
        const int Batch = 1 << 14;
        int size = ItemSize();
        using var lengthsFile = OpenAt(LengthsOffset);
        using var pointersFile = OpenAt(PointersOffset);
        var lengths = new int[Batch];
        var pointers = new long[Batch];
        long pointer = 0;
        for (long done = 0; done < Sequences;)
        {
            int n = (int)Math.Min(Batch, Sequences - done);
            LittleEndianItems.ReadExactly(lengthsFile, lengths.AsSpan(0, n));
            LittleEndianItems.ReadExactly(pointersFile, pointers.AsSpan(0, n));
            for (int k = 0; k < n; k++, done++)
            {
                if (lengths[k] < 0) throw Invalid(Path, $"sequence {done} has a negative length ({lengths[k]})");
                if (pointers[k] != pointer) throw Invalid(Path, $"sequence {done} starts at byte {pointers[k]} of the data file where the lengths before it end at {pointer}");
                pointer += (long)lengths[k] * size;
            }
        }
        if (pointer != dataLength)
            throw Invalid(Path, $"its lengths count {pointer} bytes of tokens but the data file has {dataLength}");
        long previous = 0, document = 0;
        LittleEndianItems.Read<long>(pointersFile, Documents + 1, batch =>
        {
            foreach (long end in batch)
            {
                if (document == 0 ? end != 0 : end < previous || end > Sequences)
                    throw Invalid(Path, $"document index {document} is {end} (after {previous}, of {Sequences} sequences)");
                previous = end;
                document++;
            }
        });
        if (previous != Sequences) throw Invalid(Path, $"its documents end at sequence {previous} of {Sequences}");
    }

    /// <summary>The index file, read from <paramref name="offset"/>.</summary>
    public FileStream OpenAt(long offset) => new(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16) { Position = offset };

    private static CliException Invalid(string path, string what) => new(ExitCodes.BadInput, $"{path}: {what}");
}
