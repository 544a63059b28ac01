using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BytePiece.Cli;

/// <summary>Handles a batch of items read from a stream (valid only during the call).</summary>
internal delegate void ItemsAction<T>(ReadOnlySpan<T> items);

/// <summary>
/// Arrays of little-endian integers (int32, int64) in a stream, read and written in batches, so that a section
/// of any length (a dataset index's millions of lengths) passes through a buffer of fixed size.
/// </summary>
internal static class LittleEndianItems
{
    /// <summary>Items per batch: 64 KiB of int32, 128 KiB of int64.</summary>
    private const int BatchItems = 1 << 14;

    /// <summary>Writes <paramref name="items"/> as little-endian values.</summary>
    public static void Write<T>(Stream output, ReadOnlySpan<T> items) where T : unmanaged, IBinaryInteger<T>
    {
        if (BitConverter.IsLittleEndian)
        {
            output.Write(MemoryMarshal.AsBytes(items));
            return;
        }
        Span<byte> value = stackalloc byte[Unsafe.SizeOf<T>()];
        foreach (T item in items)
        {
            item.WriteLittleEndian(value);
            output.Write(value);
        }
    }

    /// <summary>Reads <paramref name="count"/> little-endian values from the stream's position, a batch at a time.</summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    public static void Read<T>(Stream input, long count, ItemsAction<T> each) where T : unmanaged, IBinaryInteger<T>
    {
        var buffer = new T[(int)Math.Clamp(count, 1, BatchItems)];
        for (long done = 0; done < count;)
        {
            Span<T> batch = buffer.AsSpan(0, (int)Math.Min(count - done, buffer.Length));
            ReadExactly(input, batch);
            each(batch);
            done += batch.Length;
        }
    }

    /// <summary>Fills <paramref name="items"/> with little-endian values from the stream's position.</summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    public static void ReadExactly<T>(Stream input, Span<T> items) where T : unmanaged, IBinaryInteger<T>
    {
        input.ReadExactly(MemoryMarshal.AsBytes(items));
        if (!BitConverter.IsLittleEndian)
            for (int k = 0; k < items.Length; k++) items[k] = T.ReadLittleEndian(MemoryMarshal.AsBytes(items.Slice(k, 1)), isUnsigned: false);
    }
}
