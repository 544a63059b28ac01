using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using BytePiece.Lookup;

namespace BytePiece;

/// <summary>
/// Our binary model format (<c>.bpm</c>): a fixed header, then arrays that load straight into memory, then a
/// CRC-32C of everything before it. All integers little-endian.
/// <code>
/// offset size  field
///  0      8    magic 0x89 'B' 'P' 'M' '\r' '\n' 0x1A '\n'
///  8      2    format major version (1; a reader refuses other majors)
/// 10      2    format minor version (0; readers accept newer minors of their major)
/// 12      4    header size in bytes (64)
/// 16      4    flags: bit 0 = NFC text normalization; bit 1 = trie stored; other bits 0
/// 20      4    piece count P
/// 24      4    total piece bytes B
/// 28      4    metadata length M (UTF-8, free-form; 0 if none)
/// 32      8    sum of counts (checked against the counts)
/// 40      4    trie cells C (0 when no trie is stored)
/// 44     20    reserved, 0
/// 64     4P    ids (int32)
///  ..    8P    counts (int64)
///  ..    4P    piece lengths (int32)
///  ..     B    piece bytes, concatenated in the same order
///  ..     M    metadata
///  ..    8C    trie cells (int32 base, int32 check), if stored
///  ..    4C    piece index (id order) ending at each cell, or -1, if stored
///  ..     4    CRC-32C (Castagnoli) of all preceding bytes
/// </code>
/// The stored trie makes loading a read plus checks (no build); a reader validates it fully and builds
/// the trie itself when the file has none.
/// <code>
/// </code>
/// </summary>
public static class NativeModelFormat
{
    /// <summary>The 8-byte magic at the start of every native model file.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'B', (byte)'P', (byte)'M', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private const ushort Major = 1;
    private const ushort Minor = 0;
    private const int HeaderSize = 64;
    private const uint FlagNfc = 1;
    private const uint FlagTrie = 2;

    /// <summary>Reads a model from the bytes of a native file.</summary>
    /// <exception cref="ModelFormatException">Truncated, corrupt, of another version, or breaking a model rule.</exception>
    public static UnigramModel Read(ReadOnlySpan<byte> file) => Read(file, trusted: false);

    /// <summary>
    /// Reads the embedded default model: the header and piece checks, without the checksum and the stored
    /// trie's checks, which cost most of a load (a command-line run pays it every time) and which a test
    /// proves this file passes, loading it both ways and finding the two models equal.
    /// </summary>
    internal static UnigramModel ReadTrusted(ReadOnlySpan<byte> file) => Read(file, trusted: true);

    private static UnigramModel Read(ReadOnlySpan<byte> file, bool trusted)
    {
        if (file.Length < HeaderSize + 4)
            throw new ModelFormatException($"native model file is truncated: {file.Length} bytes, shorter than its {HeaderSize}-byte header");
        if (!file.StartsWith(Magic)) throw new ModelFormatException("not a native BytePiece model (bad magic)");
        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(file[10..]);
        if (major != Major)
            throw new ModelFormatException($"native model format version {major}.{minor} is not supported (this library reads {Major}.x)");
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(file[12..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(file[16..]);
        uint pieces = BinaryPrimitives.ReadUInt32LittleEndian(file[20..]);
        uint pieceBytes = BinaryPrimitives.ReadUInt32LittleEndian(file[24..]);
        uint metadata = BinaryPrimitives.ReadUInt32LittleEndian(file[28..]);
        long total = BinaryPrimitives.ReadInt64LittleEndian(file[32..]);
        uint cells = BinaryPrimitives.ReadUInt32LittleEndian(file[40..]);
        if (headerSize < HeaderSize || headerSize > 1 << 20)
            throw new ModelFormatException($"native model header size {headerSize} is invalid");
        ModelLimits.CheckVocabulary(pieces, pieceBytes);
        if (metadata > ModelLimits.FileSlackBytes)
            throw new ModelFormatException($"native model metadata is {metadata:N0} bytes (at most {ModelLimits.FileSlackBytes:N0})");
        // A trie the builder writes has at most a few cells per piece byte (see PieceTrie.MaxCells).
        if (cells > PieceTrie.MaxCells(pieceBytes) || ((flags & FlagTrie) != 0) != (cells != 0))
            throw new ModelFormatException($"native model trie header is inconsistent ({cells} cells, flags 0x{flags:X})");
        long expected = (long)headerSize + 16L * pieces + pieceBytes + metadata + 12L * cells + 4;
        if (file.Length != expected)
            throw new ModelFormatException(file.Length < expected
                ? $"native model file is truncated: {file.Length} bytes, its header says {expected}"
                : $"native model file has {file.Length - expected} bytes of trailing data after its {expected} bytes");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file[^4..]);
        uint actual = trusted ? stored : Crc32C(file[..^4]);
        if (stored != actual)
            throw new ModelFormatException($"native model file is corrupt: checksum 0x{actual:X8} does not match the stored 0x{stored:X8}");

        int n = (int)pieces;
        ReadOnlySpan<byte> body = file[(int)headerSize..];
        int[] ids = ReadArray<int>(ref body, n);
        long[] counts = ReadArray<long>(ref body, n);
        int[] lengths = ReadArray<int>(ref body, n);
        var offsets = new int[n + 1];
        long sum = 0;
        for (int p = 0; p < n; p++)
        {
            if (lengths[p] > 0) ModelLimits.CheckPieceLength(lengths[p], p);
            sum += (uint)lengths[p];
            if (lengths[p] < 0 || sum > pieceBytes)
                throw new ModelFormatException($"native model piece {p} (id {ids[p]}) has length {lengths[p]}, beyond the {pieceBytes} piece bytes");
            offsets[p + 1] = (int)sum;
        }
        if (sum != pieceBytes)
            throw new ModelFormatException($"native model piece lengths add up to {sum}, but the header says {pieceBytes}");
        byte[] bytes = body[..(int)pieceBytes].ToArray();
        body = body[(int)(pieceBytes + metadata)..];
        (TrieNode[], int[])? trie = null;
        if (cells > 0)
        {
            TrieNode[] nodes = ReadArray<TrieNode>(ref body, (int)cells);
            trie = (nodes, ReadArray<int>(ref body, (int)cells));
        }
        var model = UnigramModel.Create(ids, offsets, bytes, counts, (flags & FlagNfc) != 0 ? TextNormalization.Nfc : TextNormalization.None, trie,
            verifyStoredTrie: !trusted);
        if (model.TotalCount != total)
            throw new ModelFormatException($"native model counts add up to {model.TotalCount}, but the header says {total}");
        return model;
    }

    /// <summary>Writes <paramref name="model"/> in the native format.</summary>
    public static void Write(UnigramModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var (ids, offsets, bytes, counts) = model.RawArrays;
        int n = ids.Length;
        TrieNode[] nodes = model.Trie.Nodes;
        int cells = nodes.Length;
        var file = new byte[HeaderSize + 16L * n + bytes.Length + 12L * cells + 4];
        Span<byte> span = file;
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], Major);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], Minor);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (model.Normalization == TextNormalization.Nfc ? FlagNfc : 0) | FlagTrie);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)n);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], model.TotalCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], (uint)cells);
        Span<byte> body = span[HeaderSize..];
        WriteArray<int>(ref body, ids);
        WriteArray<long>(ref body, counts);
        var lengths = new int[n];
        for (int p = 0; p < n; p++) lengths[p] = offsets[p + 1] - offsets[p];
        WriteArray<int>(ref body, lengths);
        bytes.CopyTo(body);
        body = body[bytes.Length..];
        WriteArray<int>(ref body, MemoryMarshal.Cast<TrieNode, int>(nodes.AsSpan()).ToArray());
        WriteArray<int>(ref body, model.Trie.PieceAt);
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32C(span[..^4]));
        output.Write(file);
    }

    private static T[] ReadArray<T>(ref ReadOnlySpan<byte> body, int count) where T : unmanaged
    {
        int size = count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        T[] result = MemoryMarshal.Cast<byte, T>(body[..size]).ToArray();
        if (!BitConverter.IsLittleEndian) ReverseEndianness(result);
        body = body[size..];
        return result;
    }

    private static void WriteArray<T>(ref Span<byte> body, T[] values) where T : unmanaged
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(values.AsSpan());
        raw.CopyTo(body);
        if (!BitConverter.IsLittleEndian) ReverseEndianness(MemoryMarshal.Cast<byte, T>(body[..raw.Length]));
        body = body[raw.Length..];
    }

    private static void ReverseEndianness<T>(Span<T> values) where T : unmanaged
    {
        if (typeof(T) == typeof(int)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, int>(values), MemoryMarshal.Cast<T, int>(values));
        else if (typeof(T) == typeof(long)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, long>(values), MemoryMarshal.Cast<T, long>(values));
        else if (typeof(T) == typeof(TrieNode)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, int>(values), MemoryMarshal.Cast<T, int>(values));
    }

    /// <summary>CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
