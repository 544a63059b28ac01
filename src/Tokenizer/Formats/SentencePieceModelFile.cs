using System.Text;
using BytePiece.Model;

namespace BytePiece.Formats;

/// <summary>
/// Reads a SentencePiece <c>.model</c> file: one serialized <c>ModelProto</c> (proto2). Only the fields
/// that change encoding or decoding are read; every other field, and any extension, is skipped as
/// protobuf requires. Absent fields take proto2's declared defaults.
/// </summary>
internal static class SentencePieceModelFile
{
    // ModelProto
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3, DenormalizerSpecField = 5;

    // ModelProto.SentencePiece
    private const int PieceField = 1, ScoreField = 2, TypeField = 3;

    // TrainerSpec
    private const int ModelTypeField = 3, WhitespaceAsSuffixField = 24, ByteFallbackField = 35,
        UnkSurfaceField = 44, BosPieceField = 46, EosPieceField = 47, PadPieceField = 48;

    // NormalizerSpec
    private const int NameField = 1, CharsMapField = 2, DummyPrefixField = 3, RemoveExtraField = 4, EscapeField = 5;

    /// <summary>Whether <paramref name="content"/> looks like a <c>ModelProto</c>: it starts with a pieces field (tag 0x0A).</summary>
    public static bool LooksLikeModelProto(ReadOnlySpan<byte> content) => content.Length > 2 && content[0] == 0x0A;

    /// <summary>Parses the file's content.</summary>
    /// <exception cref="ModelFormatException">The content is not a valid Unigram <c>ModelProto</c>.</exception>
    public static SentencePieceModel Read(ReadOnlySpan<byte> content)
    {
        var spec = new SentencePieceSpec();
        var pieces = new List<(byte[] Bytes, float Score, SentencePieceType Type)>();
        int modelType = 1;
        long pieceBytes = 0;
        var reader = new ProtoWireReader(content);
        while (reader.NextField(out int field, out int wire))
        {
            switch (field)
            {
                case PiecesField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "ModelProto");
                    ReadOnlySpan<byte> message = reader.ReadBytes(out int at);
                    var piece = ReadPiece(message, at, pieces.Count);
                    pieceBytes += piece.Item1.Length;
                    ModelLimits.CheckVocabulary(pieces.Count + 1, pieceBytes);
                    pieces.Add(piece);
                    break;
                case TrainerSpecField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "ModelProto");
                    ReadOnlySpan<byte> trainer = reader.ReadBytes(out int trainerAt);
                    modelType = ReadTrainerSpec(trainer, trainerAt, spec, modelType);
                    break;
                case NormalizerSpecField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "ModelProto");
                    ReadOnlySpan<byte> normalizer = reader.ReadBytes(out int normalizerAt);
                    ReadNormalizerSpec(normalizer, normalizerAt, spec);
                    break;
                case DenormalizerSpecField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "ModelProto");
                    ReadOnlySpan<byte> denormalizer = reader.ReadBytes(out int denormalizerAt);
                    spec.Denormalizer ??= new SentencePieceSpec();
                    ReadNormalizerSpec(denormalizer, denormalizerAt, spec.Denormalizer);
                    break;
                default:
                    reader.Skip(wire, field);
                    break;
            }
        }
        if (modelType != 1)
        {
            string name = modelType switch { 2 => "BPE", 3 => "WORD", 4 => "CHAR", _ => $"type {modelType}" };
            throw new ModelFormatException($"this is a SentencePiece {name} model; only Unigram models are supported");
        }
        ModelLimits.CheckFileSize(content.Length, pieces.Count, pieceBytes);
        return SentencePieceModel.Create(pieces, spec);
    }

    private static (byte[], float, SentencePieceType) ReadPiece(ReadOnlySpan<byte> message, int at, int index)
    {
        byte[]? piece = null;
        float score = 0;
        int type = (int)SentencePieceType.Normal;
        var reader = new ProtoWireReader(message, at);
        while (reader.NextField(out int field, out int wire))
        {
            switch (field)
            {
                case PieceField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, $"piece {index}");
                    ReadOnlySpan<byte> bytes = reader.ReadBytes();
                    ModelLimits.CheckPieceLength(bytes.Length, index);
                    piece = bytes.ToArray();
                    break;
                case ScoreField:
                    reader.Expect(wire, ProtoWireReader.Fixed32, field, $"piece {index}");
                    score = reader.ReadFloat();
                    break;
                case TypeField:
                    reader.Expect(wire, ProtoWireReader.Varint, field, $"piece {index}");
                    type = reader.ReadInt32();
                    break;
                default:
                    reader.Skip(wire, field);
                    break;
            }
        }
        if (type is < 1 or > 6) throw new ModelFormatException($"piece {index} (at byte {at}) has type {type}; known types are 1-6");
        return (piece ?? [], score, (SentencePieceType)type);
    }

    private static int ReadTrainerSpec(ReadOnlySpan<byte> message, int at, SentencePieceSpec spec, int modelType)
    {
        var reader = new ProtoWireReader(message, at);
        while (reader.NextField(out int field, out int wire))
        {
            switch (field)
            {
                case ModelTypeField: reader.Expect(wire, ProtoWireReader.Varint, field, "TrainerSpec"); modelType = reader.ReadInt32(); break;
                case WhitespaceAsSuffixField: reader.Expect(wire, ProtoWireReader.Varint, field, "TrainerSpec"); spec.TreatWhitespaceAsSuffix = reader.ReadBool(); break;
                case ByteFallbackField: reader.Expect(wire, ProtoWireReader.Varint, field, "TrainerSpec"); spec.ByteFallback = reader.ReadBool(); break;
                case UnkSurfaceField: spec.UnknownSurface = ReadString(ref reader, wire, field); break;
                case BosPieceField: spec.BosPiece = NonEmpty(ReadString(ref reader, wire, field), spec.BosPiece); break;
                case EosPieceField: spec.EosPiece = NonEmpty(ReadString(ref reader, wire, field), spec.EosPiece); break;
                case PadPieceField: spec.PadPiece = NonEmpty(ReadString(ref reader, wire, field), spec.PadPiece); break;
                default: reader.Skip(wire, field); break;
            }
        }
        return modelType;
    }

    private static void ReadNormalizerSpec(ReadOnlySpan<byte> message, int at, SentencePieceSpec spec)
    {
        var reader = new ProtoWireReader(message, at);
        while (reader.NextField(out int field, out int wire))
        {
            switch (field)
            {
                case NameField: spec.NormalizerName = ReadString(ref reader, wire, field); break;
                case CharsMapField:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "NormalizerSpec");
                    ReadOnlySpan<byte> map = reader.ReadBytes();
                    if (map.Length > ModelLimits.FileSlackBytes)
                        throw new ModelFormatException($"the precompiled charsmap is {map.Length:N0} bytes (at most {ModelLimits.FileSlackBytes:N0}, ModelLimits.FileSlackBytes)");
                    spec.CharsMap = map.ToArray();
                    break;
                case DummyPrefixField: reader.Expect(wire, ProtoWireReader.Varint, field, "NormalizerSpec"); spec.AddDummyPrefix = reader.ReadBool(); break;
                case RemoveExtraField: reader.Expect(wire, ProtoWireReader.Varint, field, "NormalizerSpec"); spec.RemoveExtraWhitespaces = reader.ReadBool(); break;
                case EscapeField: reader.Expect(wire, ProtoWireReader.Varint, field, "NormalizerSpec"); spec.EscapeWhitespaces = reader.ReadBool(); break;
                default: reader.Skip(wire, field); break;
            }
        }
    }

    private static string ReadString(ref ProtoWireReader reader, int wire, int field)
    {
        reader.Expect(wire, ProtoWireReader.LengthDelimited, field, "TrainerSpec/NormalizerSpec");
        return Encoding.UTF8.GetString(reader.ReadBytes());
    }

    // spm treats an empty piece name as the default (model_interface.cc).
    private static string NonEmpty(string value, string fallback) => value.Length == 0 ? fallback : value;
}
