using System.Buffers.Binary;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The protobuf wire reader on messages written by hand: varints, fixed-width and length-delimited values,
/// nested messages, skipping of every wire type, and the <see cref="ModelFormatException"/> (naming a byte
/// offset) that every malformation and every cut inside a value gives.
/// </summary>
public partial class ProtoWireReaderTests
{
    /// <summary>A minimal protobuf writer: enough to build any message the tests need, malformed ones included.</summary>
    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public int Length => _bytes.Count;

        public Writer Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.Add((byte)value);
            return this;
        }

        public Writer Tag(ulong field, int wireType) => Varint(field << 3 | (uint)wireType);

        public Writer Raw(params byte[] bytes)
        {
            _bytes.AddRange(bytes);
            return this;
        }

        public Writer Fixed32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            return Raw(b.ToArray());
        }

        public Writer Fixed64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            return Raw(b.ToArray());
        }

        public Writer Bytes(byte[] value) => Varint((ulong)value.Length).Raw(value);

        public byte[] ToArray() => [.. _bytes];
    }

    private static byte[] VarintBytes(ulong value) => new Writer().Varint(value).ToArray();

    /// <summary>The byte offset a <see cref="ModelFormatException"/> names ("at byte N").</summary>
    [GeneratedRegex(@"at byte (\d+)")]
    private static partial Regex AtByte();

    private static int NamedOffset(ModelFormatException e)
    {
        Match m = AtByte().Match(e.Message);
        Assert.True(m.Success, $"the error names no byte offset: {e.Message}");
        return int.Parse(m.Groups[1].Value);
    }

    /// <summary>Reads a whole message as a generic consumer would: every field skipped, nested messages descended into.</summary>
    private static List<(int Field, int WireType)> SkipAll(ReadOnlySpan<byte> data, int baseOffset = 0, ISet<int>? messageFields = null)
    {
        var fields = new List<(int, int)>();
        var reader = new ProtoWireReader(data, baseOffset);
        while (reader.NextField(out int field, out int wire))
        {
            fields.Add((field, wire));
            if (wire == ProtoWireReader.LengthDelimited && messageFields?.Contains(field) == true)
            {
                ReadOnlySpan<byte> inner = reader.ReadBytes(out int at);
                SkipAll(inner, at, messageFields);
            }
            else reader.Skip(wire, field);
        }
        return fields;
    }

    public static TheoryData<ulong, int> VarintLengths => new()
    {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16_383, 2 }, { 16_384, 3 }, { (1UL << 21) - 1, 3 }, { 1UL << 21, 4 },
        { (1UL << 28) - 1, 4 }, { 1UL << 28, 5 }, { uint.MaxValue, 5 }, { (1UL << 35) - 1, 5 }, { 1UL << 35, 6 }, { 1UL << 42, 7 },
        { 1UL << 49, 8 }, { (1UL << 56) - 1, 8 }, { 1UL << 56, 9 }, { (1UL << 63) - 1, 9 }, { 1UL << 63, 10 }, { ulong.MaxValue, 10 },
    };

    [SkippableTheory]
    [MemberData(nameof(VarintLengths))]
    public void AVarintOfOneToTenBytes_ReadsBack_AndConsumesExactlyItsBytes(ulong value, int length)
    {
        byte[] data = [.. VarintBytes(value), 0x2A];
        Assert.Equal(length + 1, data.Length);
        var reader = new ProtoWireReader(data);
        Assert.Equal(value, reader.ReadVarint());
        Assert.Equal(length, reader.Offset);
        Assert.Equal(42UL, reader.ReadVarint());
    }

    [SkippableFact]
    public void RandomVarints_InSequence_ReadBack()
    {
        // Values of every bit length, so that every varint length occurs.
        Gen<ulong> values =
            from bits in Gen.Choose(0, 64)
            from hi in Gen.Choose(int.MinValue, int.MaxValue)
            from lo in Gen.Choose(int.MinValue, int.MaxValue)
            select bits == 0 ? 0UL : ((ulong)(uint)hi << 32 | (uint)lo) >> (64 - bits);
        TestVocab.Check(Gen.ArrayOf(values), list =>
        {
            var w = new Writer();
            foreach (ulong v in list) w.Varint(v);
            byte[] data = w.ToArray();
            var reader = new ProtoWireReader(data);
            foreach (ulong v in list) Assert.Equal(v, reader.ReadVarint());
            Assert.Equal(data.Length, reader.Offset);
            return true;
        }, maxTest: 300);
    }

    [SkippableFact]
    public void AVarintWithRedundantContinuationBytes_ReadsAsItsValue_AsProtobufAccepts()
    {
        // Non-minimal encodings are legal on the wire (parsers accept them); only more than ten bytes is an error.
        var reader = new ProtoWireReader([0x80, 0x00, 0xFF, 0x80, 0x80, 0x00]);
        Assert.Equal(0UL, reader.ReadVarint());
        Assert.Equal(0x7FUL, reader.ReadVarint());
        Assert.Equal(6, reader.Offset);
    }

    [SkippableFact]
    public void AVarintLongerThanTenBytes_IsAnError_NamingWhereItStarts()
    {
        byte[] data = [0x08, .. Enumerable.Repeat((byte)0xFF, 10), 0x01];
        var e = Assert.Throws<ModelFormatException>(() =>
        {
            var reader = new ProtoWireReader(data, baseOffset: 100);
            reader.ReadVarint();
            reader.ReadVarint();
        });
        Assert.Equal(101, NamedOffset(e));
        Assert.Contains("10 bytes", e.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(VarintLengths))]
    public void AVarintCutAtAnyByte_IsATruncationError(ulong value, int length)
    {
        byte[] full = VarintBytes(value);
        for (int cut = 0; cut < length; cut++)
        {
            byte[] data = full[..cut];
            var e = Assert.Throws<ModelFormatException>(() => new ProtoWireReader(data, 7).ReadVarint());
            Assert.Equal(7, NamedOffset(e));
            Assert.Contains("truncated", e.Message);
        }
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    [InlineData(-123_456)]
    public void ANegativeInt32_WrittenAsTenBytes_ReadsBack(int value)
    {
        byte[] data = VarintBytes(unchecked((ulong)(long)value)); // protobuf sign-extends int32 to 64 bits
        Assert.Equal(value < 0 ? 10 : data.Length, data.Length);
        var reader = new ProtoWireReader(data);
        Assert.Equal(value, reader.ReadInt32());
        Assert.Equal(data.Length, reader.Offset);
    }

    [SkippableFact]
    public void ABool_IsAnyNonZeroVarint()
    {
        var reader = new ProtoWireReader([0x00, 0x01, 0x02, 0x80, 0x01, 0x80, 0x00]);
        Assert.False(reader.ReadBool());
        Assert.True(reader.ReadBool());
        Assert.True(reader.ReadBool());
        Assert.True(reader.ReadBool()); // 128
        Assert.False(reader.ReadBool()); // 0 in two bytes
    }

    [SkippableTheory]
    [InlineData(0x00000000u)] // 0
    [InlineData(0x80000000u)] // -0
    [InlineData(0x3FC00000u)] // 1.5
    [InlineData(0x7F7FFFFFu)] // float.MaxValue
    [InlineData(0x00000001u)] // float.Epsilon
    [InlineData(0xFF800000u)] // -infinity
    [InlineData(0x7FC00001u)] // a NaN with a payload
    public void AFloat_IsFourLittleEndianBytes_ReadBitForBit(uint bits)
    {
        byte[] data = new Writer().Fixed32(bits).Raw(0x05).ToArray();
        var reader = new ProtoWireReader(data);
        Assert.Equal(bits, BitConverter.SingleToUInt32Bits(reader.ReadFloat()));
        Assert.Equal(4, reader.Offset);
        Assert.Equal(5UL, reader.ReadVarint());
    }

    [SkippableFact]
    public void AFloatCutShort_IsATruncationError()
    {
        for (int cut = 0; cut < 4; cut++)
        {
            byte[] data = new byte[cut];
            var e = Assert.Throws<ModelFormatException>(() => new ProtoWireReader(data, 3).ReadFloat());
            Assert.Equal(3, NamedOffset(e));
        }
    }

    [SkippableFact]
    public void ALengthDelimitedValue_IsExactlyItsBytes_WithItsOffsetInTheFile()
    {
        TestVocab.Check(Gen.ArrayOf(Gen.Choose(0, 300).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))), values =>
        {
            var w = new Writer();
            var offsets = new List<int>();
            foreach (byte[] v in values)
            {
                w.Tag(2, ProtoWireReader.LengthDelimited).Varint((ulong)v.Length);
                offsets.Add(1000 + w.Length);
                w.Raw(v);
            }
            var reader = new ProtoWireReader(w.ToArray(), baseOffset: 1000);
            for (int i = 0; i < values.Length; i++)
            {
                Assert.True(reader.NextField(out int field, out int wire));
                Assert.Equal((2, ProtoWireReader.LengthDelimited), (field, wire));
                Assert.Equal(values[i], reader.ReadBytes(out int at).ToArray());
                Assert.Equal(offsets[i], at);
            }
            Assert.False(reader.NextField(out _, out _));
            return true;
        }, maxTest: 100);
    }

    [SkippableTheory]
    [InlineData(5UL, 4)]
    [InlineData(1UL, 0)]
    [InlineData(int.MaxValue + 1UL, 10)]
    [InlineData(ulong.MaxValue, 10)]
    [InlineData(1UL << 63, 3)]
    public void ALengthBeyondTheData_IsAnError_NotAnOverflow(ulong length, int follow)
    {
        byte[] data = [.. new Writer().Tag(1, ProtoWireReader.LengthDelimited).Varint(length).ToArray(), .. new byte[follow]];
        var e = Assert.Throws<ModelFormatException>(() =>
        {
            var reader = new ProtoWireReader(data);
            reader.NextField(out _, out _);
            reader.ReadBytes();
        });
        Assert.Equal(1, NamedOffset(e));
    }

    [SkippableFact]
    public void ANestedMessage_IsReadByAReaderOverItsBytes_WhoseOffsetsAreThoseOfTheFile()
    {
        byte[] inner = new Writer().Tag(1, ProtoWireReader.Varint).Varint(300).Tag(2, ProtoWireReader.Fixed32).Fixed32(0x3FC00000).ToArray();
        byte[] data = new Writer().Tag(9, ProtoWireReader.Varint).Varint(1).Tag(4, ProtoWireReader.LengthDelimited).Bytes(inner).Tag(5, ProtoWireReader.Varint).Varint(2).ToArray();

        var outer = new ProtoWireReader(data, baseOffset: 50);
        Assert.True(outer.NextField(out int f, out _));
        Assert.Equal(9, f);
        outer.Skip(ProtoWireReader.Varint, 9);
        Assert.True(outer.NextField(out f, out int w));
        Assert.Equal((4, ProtoWireReader.LengthDelimited), (f, w));
        ReadOnlySpan<byte> message = outer.ReadBytes(out int at);
        Assert.Equal(50 + 4, at); // tag 9, value, tag 4, length

        var reader = new ProtoWireReader(message, at);
        Assert.Equal(at, reader.Offset);
        Assert.True(reader.NextField(out f, out w));
        Assert.Equal((1, ProtoWireReader.Varint), (f, w));
        Assert.Equal(300UL, reader.ReadVarint());
        Assert.True(reader.NextField(out f, out w));
        Assert.Equal((2, ProtoWireReader.Fixed32), (f, w));
        Assert.Equal(1.5f, reader.ReadFloat());
        Assert.False(reader.NextField(out _, out _));

        // The outer message goes on after it.
        Assert.True(outer.NextField(out f, out _));
        Assert.Equal(5, f);
        Assert.Equal(2UL, outer.ReadVarint());
        Assert.False(outer.NextField(out _, out _));

        // A malformed nested message names the byte in the file: its varint is cut after the tag.
        byte[] cutInner = message[..2].ToArray();
        var e = Assert.Throws<ModelFormatException>(() => SkipAll(cutInner, at));
        Assert.Equal(at + 1, NamedOffset(e));
    }

    /// <summary>An unknown field of one wire type, with its value (for groups, some fields inside and a nested group).</summary>
    private static readonly Gen<Action<Writer>> UnknownFields = Gen.OneOf(
        Gen.Choose(0, int.MaxValue).Select(v => (Action<Writer>)(w => w.Tag(100, ProtoWireReader.Varint).Varint((ulong)v * 0x9E3779B9UL))),
        Gen.Choose(0, int.MaxValue).Select(v => (Action<Writer>)(w => w.Tag(101, ProtoWireReader.Fixed64).Fixed64((ulong)v << 40 | 0xFF))),
        Gen.Choose(0, int.MaxValue).Select(v => (Action<Writer>)(w => w.Tag(102, ProtoWireReader.Fixed32).Fixed32((uint)v))),
        Gen.Choose(0, 200).Select(n => (Action<Writer>)(w => w.Tag(103, ProtoWireReader.LengthDelimited).Bytes([.. Enumerable.Range(0, n).Select(i => (byte)(i * 37))]))),
        Gen.Choose(0, 3).Select(n => (Action<Writer>)(w =>
        {
            w.Tag(536_870_911, ProtoWireReader.StartGroup);
            for (int i = 0; i < n; i++) w.Tag(1, ProtoWireReader.Varint).Varint((ulong)i).Tag(2, ProtoWireReader.LengthDelimited).Bytes([0x08, 0x01]);
            w.Tag(7, ProtoWireReader.StartGroup).Tag(1, ProtoWireReader.Fixed32).Fixed32(1).Tag(7, ProtoWireReader.EndGroup);
            w.Tag(536_870_911, ProtoWireReader.EndGroup);
        })));

    [SkippableFact]
    public void UnknownFieldsOfEveryWireType_AreSkipped_AndTheKnownFieldsReadInOrder()
    {
        var gen = Gen.ArrayOf(Gen.OneOf(Gen.Choose(0, int.MaxValue).Select(v => (Known: (ulong?)(ulong)v, Unknown: (Action<Writer>?)null)),
            UnknownFields.Select(u => (Known: (ulong?)null, Unknown: (Action<Writer>?)u))));
        TestVocab.Check(gen, items =>
        {
            var w = new Writer();
            foreach (var (known, unknown) in items)
            {
                if (known is ulong v) w.Tag(1, ProtoWireReader.Varint).Varint(v);
                else unknown!(w);
            }
            byte[] data = w.ToArray();
            var read = new List<ulong>();
            var reader = new ProtoWireReader(data);
            while (reader.NextField(out int field, out int wire))
            {
                if (field == 1) read.Add(reader.ReadVarint());
                else reader.Skip(wire, field);
            }
            Assert.Equal(data.Length, reader.Offset);
            Assert.Equal(items.Where(i => i.Known is not null).Select(i => i.Known!.Value), read);
            return true;
        }, maxTest: 300);
    }

    /// <summary>A message with a value of every wire type, a nested message (field 4) and a group with a group inside.</summary>
    private static (byte[] Data, int[] Boundaries) ValidMessage()
    {
        var w = new Writer();
        var boundaries = new List<int> { 0 };
        void Field(Action<Writer> write)
        {
            write(w);
            boundaries.Add(w.Length);
        }
        byte[] nested = new Writer().Tag(1, ProtoWireReader.Varint).Varint(ulong.MaxValue).Tag(2, ProtoWireReader.LengthDelimited).Bytes("piece"u8.ToArray())
            .Tag(3, ProtoWireReader.Fixed32).Fixed32(7).Tag(4, ProtoWireReader.Fixed64).Fixed64(8).ToArray();
        Field(x => x.Tag(1, ProtoWireReader.Varint).Varint(1UL << 40));
        Field(x => x.Tag(2, ProtoWireReader.Fixed64).Fixed64(0x0123456789ABCDEF));
        Field(x => x.Tag(3, ProtoWireReader.Fixed32).Fixed32(0xDEADBEEF));
        Field(x => x.Tag(4, ProtoWireReader.LengthDelimited).Bytes(nested));
        Field(x => x.Tag(20_000, ProtoWireReader.StartGroup).Tag(1, ProtoWireReader.Varint).Varint(5)
            .Tag(6, ProtoWireReader.StartGroup).Tag(2, ProtoWireReader.Fixed64).Fixed64(9).Tag(6, ProtoWireReader.EndGroup)
            .Tag(20_000, ProtoWireReader.EndGroup));
        Field(x => x.Tag(5, ProtoWireReader.LengthDelimited).Bytes([]));
        return (w.ToArray(), [.. boundaries]);
    }

    [SkippableFact]
    public void AValidMessageCutAtAnyByte_ReadsToTheLastWholeField_OrFailsNamingAByteWithinIt()
    {
        var (data, boundaries) = ValidMessage();
        var messages = new HashSet<int> { 4 };
        Assert.Equal(6, SkipAll(data, 0, messages).Count);
        for (int cut = 0; cut < data.Length; cut++)
        {
            byte[] part = data[..cut];
            int whole = Array.IndexOf(boundaries, cut);
            if (whole >= 0)
            {
                // A cut between fields is a shorter valid message: the wire format has no end marker.
                Assert.Equal(whole, SkipAll(part, 0, messages).Count);
                continue;
            }
            var e = Assert.Throws<ModelFormatException>(() => SkipAll(part, 0, messages));
            int named = NamedOffset(e);
            int fieldStart = boundaries.Last(b => b < cut);
            Assert.True(named >= fieldStart && named <= cut, $"cut at {cut}: the error names byte {named}, outside the cut field ({fieldStart}..{cut}): {e.Message}");
        }
    }

    [SkippableTheory]
    [InlineData(6)]
    [InlineData(7)]
    public void WireTypesSixAndSeven_AreInvalidTags(int wireType)
    {
        byte[] data = new Writer().Tag(1, ProtoWireReader.Varint).Varint(1).Tag(3, wireType).Raw(0, 0, 0, 0, 0, 0, 0, 0).ToArray();
        var e = Assert.Throws<ModelFormatException>(() => SkipAll(data));
        Assert.Equal(2, NamedOffset(e));
    }

    [SkippableTheory]
    [InlineData(0UL)]
    [InlineData(536_870_912UL)]
    [InlineData(1UL << 40)]
    public void AFieldNumberOutsideOneTo2Pow29Minus1_IsAnInvalidTag(ulong field)
    {
        byte[] data = new Writer().Tag(field, ProtoWireReader.Varint).Varint(1).ToArray();
        Assert.Throws<ModelFormatException>(() => SkipAll(data));
    }

    [SkippableFact]
    public void TheLargestFieldNumber_IsRead()
    {
        byte[] data = new Writer().Tag(536_870_911, ProtoWireReader.Fixed32).Fixed32(1).ToArray();
        var reader = new ProtoWireReader(data);
        Assert.True(reader.NextField(out int field, out int wire));
        Assert.Equal((536_870_911, ProtoWireReader.Fixed32), (field, wire));
    }

    [SkippableFact]
    public void AnEndGroupWithoutItsStart_IsAnError()
    {
        byte[] data = new Writer().Tag(1, ProtoWireReader.Varint).Varint(1).Tag(2, ProtoWireReader.EndGroup).ToArray();
        var e = Assert.Throws<ModelFormatException>(() => SkipAll(data));
        Assert.Contains("end-group", e.Message);
    }

    [SkippableFact]
    public void AGroupClosedByAnotherFieldsEndGroup_IsAnError()
    {
        byte[] data = new Writer().Tag(2, ProtoWireReader.StartGroup).Tag(1, ProtoWireReader.Varint).Varint(1).Tag(3, ProtoWireReader.EndGroup).ToArray();
        var e = Assert.Throws<ModelFormatException>(() => SkipAll(data));
        Assert.Contains("end-group", e.Message);
    }

    [SkippableFact]
    public void AGroupThatIsNeverClosed_IsATruncationError()
    {
        byte[] data = new Writer().Tag(2, ProtoWireReader.StartGroup).Tag(1, ProtoWireReader.Varint).Varint(1).ToArray();
        var e = Assert.Throws<ModelFormatException>(() => SkipAll(data));
        Assert.Equal(data.Length, NamedOffset(e));
        Assert.Contains("truncated", e.Message);
    }

    [SkippableTheory]
    [InlineData(10, false)]
    [InlineData(1_000_000, true)]
    public void DeeplyNestedGroups_AreRefused_WithAnErrorNotAStackOverflow(int depth, bool refused)
    {
        var w = new Writer();
        for (int d = 0; d < depth; d++) w.Tag(1, ProtoWireReader.StartGroup);
        for (int d = 0; d < depth; d++) w.Tag(1, ProtoWireReader.EndGroup);
        byte[] data = w.ToArray();
        if (refused)
        {
            var e = Assert.Throws<ModelFormatException>(() => SkipAll(data));
            Assert.Contains("nested", e.Message);
        }
        else Assert.Single(SkipAll(data));
    }

    [SkippableFact]
    public void Expect_AcceptsTheDeclaredWireType_AndRefusesAnotherNamingBoth()
    {
        var reader = new ProtoWireReader([]);
        reader.Expect(ProtoWireReader.Fixed32, ProtoWireReader.Fixed32, 2, "piece 3");
        var e = Assert.Throws<ModelFormatException>(() => new ProtoWireReader([]).Expect(ProtoWireReader.Varint, ProtoWireReader.Fixed32, 2, "piece 3"));
        Assert.Contains("piece 3", e.Message);
        Assert.Contains("field 2", e.Message);
        Assert.Contains("wire type 0", e.Message);
    }

    [SkippableFact]
    public void AnEmptyMessage_HasNoFields()
    {
        var reader = new ProtoWireReader([], 12);
        Assert.False(reader.NextField(out int field, out int wire));
        Assert.Equal((0, 0), (field, wire));
        Assert.Equal(12, reader.Offset);
    }
}
