using System.Buffers.Binary;

namespace BytePiece.Formats;

/// <summary>
/// A forward-only reader of the protobuf wire format over a span: fields as (number, wire type), then
/// their values. Enough for proto2 messages such as SentencePiece's <c>ModelProto</c>; anything the
/// caller does not ask for is skipped, as protobuf requires (unknown fields, extensions, groups).
/// Every malformation is a <see cref="ModelFormatException"/> that names the byte offset.
/// </summary>
internal ref struct ProtoWireReader
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _base;
    private int _position;

    /// <summary>Reads <paramref name="data"/>; <paramref name="baseOffset"/> is its offset in the file, for messages.</summary>
    public ProtoWireReader(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        _data = data;
        _base = baseOffset;
        _position = 0;
    }

    /// <summary>Offset in the file of the next byte.</summary>
    public readonly int Offset => _base + _position;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool NextField(out int number, out int wireType)
    {
        if (_position >= _data.Length)
        {
            number = wireType = 0;
            return false;
        }
        int at = Offset;
        ulong tag = ReadVarint();
        wireType = (int)(tag & 7);
        ulong field = tag >> 3;
        if (field == 0 || field > 536_870_911 || wireType > Fixed32)
            throw new ModelFormatException($"invalid protobuf field tag {tag} at byte {at}");
        number = (int)field;
        return true;
    }

    public ulong ReadVarint()
    {
        int at = Offset;
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw Truncated(at, "varint");
            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new ModelFormatException($"a varint longer than 10 bytes at byte {at}");
    }

    /// <summary>An int32 field: protobuf writes negative values as 10-byte varints, so the low 32 bits are the value.</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    public float ReadFloat()
    {
        ReadOnlySpan<byte> bytes = Take(4, "float");
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    /// <summary>A length-delimited value (string, bytes or message); <paramref name="valueOffset"/> is its offset in the file.</summary>
    public ReadOnlySpan<byte> ReadBytes(out int valueOffset)
    {
        int at = Offset;
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new ModelFormatException($"a field at byte {at} says it holds {length} bytes, but only {_data.Length - _position} follow");
        valueOffset = Offset;
        return Take((int)length, "bytes");
    }

    public ReadOnlySpan<byte> ReadBytes() => ReadBytes(out _);

    /// <summary>A value of the given wire type as the field's declared type expects, or a clear error.</summary>
    public void Expect(int wireType, int expected, int field, string message)
    {
        if (wireType != expected)
            throw new ModelFormatException($"{message} field {field} has wire type {wireType}, expected {expected} (at byte {Offset})");
    }

    /// <summary>Skips the value of a field the caller does not read.</summary>
    public void Skip(int wireType, int field, int depth = 0)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8, "fixed64"); break;
            case Fixed32: Take(4, "fixed32"); break;
            case LengthDelimited: ReadBytes(); break;
            case StartGroup:
                if (depth > 64) throw new ModelFormatException($"groups nested too deeply at byte {Offset}");
                while (true)
                {
                    if (!NextField(out int inner, out int innerType)) throw Truncated(Offset, "group");
                    if (innerType == EndGroup)
                    {
                        if (inner != field) throw new ModelFormatException($"group {field} closed by end-group {inner} at byte {Offset}");
                        break;
                    }
                    Skip(innerType, inner, depth + 1);
                }
                break;
            default: throw new ModelFormatException($"unexpected end-group for field {field} at byte {Offset}");
        }
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > _data.Length - _position) throw Truncated(Offset, what);
        ReadOnlySpan<byte> result = _data.Slice(_position, count);
        _position += count;
        return result;
    }

    private static ModelFormatException Truncated(int at, string what) => new($"the file ends inside a {what} at byte {at} (truncated?)");
}
