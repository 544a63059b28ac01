using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace BytePiece.Training;

/// <summary>
/// An n-gram of 1..7 bytes packed into a <see cref="ulong"/>: the bytes little-endian in the low 56 bits
/// (first byte lowest) and the length in the top byte. Appending a byte and prepending one are both a
/// shift and an or, so the counting pass (growing forward) and the segmenter (growing backward) share it.
/// </summary>
internal static class NGramKey
{
    /// <summary>The longest n-gram a key holds.</summary>
    public const int MaxLength = 7;

    /// <summary>The key of <paramref name="gram"/> (1..7 bytes).</summary>
    public static ulong Of(ReadOnlySpan<byte> gram)
    {
        ulong data = 0;
        for (int t = gram.Length - 1; t >= 0; t--) data = (data << 8) | gram[t];
        return data | ((ulong)gram.Length << 56);
    }

    /// <summary>The key of the <paramref name="length"/> bytes at <paramref name="start"/> (at least 8 bytes readable there, or use <see cref="Of"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong At(ReadOnlySpan<byte> padded, int start, int length)
        => FromWindow(BinaryPrimitives.ReadUInt64LittleEndian(padded[start..]), length);

    /// <summary>The key of the first <paramref name="length"/> bytes of an 8-byte little-endian window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong FromWindow(ulong window, int length) => (window & ((1UL << (8 * length)) - 1)) | ((ulong)length << 56);

    /// <summary>Length of the n-gram.</summary>
    public static int Length(ulong key) => (int)(key >> 56);

    /// <summary>The key of the n-gram without its last byte (length at least 2).</summary>
    public static ulong Prefix(ulong key)
    {
        int length = Length(key);
        return (key & ((1UL << (8 * (length - 1))) - 1)) | ((ulong)(length - 1) << 56);
    }

    /// <summary>The n-gram's bytes.</summary>
    public static byte[] Bytes(ulong key)
    {
        var bytes = new byte[Length(key)];
        for (int t = 0; t < bytes.Length; t++) bytes[t] = (byte)(key >> (8 * t));
        return bytes;
    }

    /// <summary>Slot hash for open addressing (Fibonacci hashing; the caller takes the high bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong key) => (key ^ (key >> 29)) * 0x9E3779B97F4A7C15UL;
}
