using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BytePiece.Text;

namespace BytePiece;

/// <summary>
/// BytePiece's model file (v0.6.x): one UTF-8 JSON object; key = standard base64 (with padding) of the
/// piece bytes, value = <c>[id, display, count]</c> (id first, count last, display ignored).
/// </summary>
public static class BytePieceJson
{
    /// <summary>Reads a model from UTF-8 JSON (a leading BOM is allowed).</summary>
    /// <param name="json">The file's bytes.</param>
    /// <param name="normalization">Text normalization for the model (BytePiece uses NFC).</param>
    /// <exception cref="ModelFormatException">Malformed JSON or base64, or a model rule is broken; the message says where.</exception>
    public static UnigramModel Read(ReadOnlySpan<byte> json, TextNormalization normalization = TextNormalization.Nfc)
    {
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        if (json.Trim(" \t\r\n"u8).IsEmpty) throw new ModelFormatException("the file is empty; expected a BytePiece JSON object");
        var pieces = new List<CountedPiece>();
        long pieceBytes = 0;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
        try
        {
            if (!reader.Read()) throw Error(ref reader, "the file is empty; expected a JSON object");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Error(ref reader, $"expected a JSON object mapping base64 pieces to [id, display, count], found {Describe(reader.TokenType)}");
            while (true)
            {
                if (!reader.Read()) throw Error(ref reader, "the file ends inside the top-level object (truncated?)");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                long keyOffset = reader.TokenStartIndex;
                // Checked on the raw key (escapes only lengthen it) before any string or array is made of it.
                if (reader.ValueSpan.Length > MaxKeyChars * 6 || (!reader.ValueIsEscaped && reader.ValueSpan.Length > MaxKeyChars))
                    ModelLimits.CheckPieceLength(reader.ValueSpan.Length / 4 * 3, pieces.Count);
                string key;
                try { key = reader.GetString()!; }
                catch (InvalidOperationException e) { throw new ModelFormatException($"a key at byte {keyOffset} is not valid UTF-8", e); }
                if (key.Length > MaxKeyChars) ModelLimits.CheckPieceLength(key.Length / 4 * 3, pieces.Count);
                byte[] piece = DecodeBase64(key, keyOffset);
                pieceBytes += piece.Length;
                ModelLimits.CheckVocabulary(pieces.Count + 1, pieceBytes);
                if (!keys.Add(key))
                    throw new ModelFormatException($"piece \"{PieceText.FormatForListing(piece)}\" (base64 {key}) appears twice (at byte {keyOffset})");

                if (!reader.Read()) throw Error(ref reader, "the file ends after a key (truncated?)");
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw Error(ref reader, $"the value of piece {key} must be an array [id, display, count], found {Describe(reader.TokenType)}");
                int elements = 0;
                long id = 0, count = 0;
                bool firstIsNumber = false, lastIsNumber = false;
                while (true)
                {
                    if (!reader.Read()) throw Error(ref reader, "the file ends inside an array (truncated?)");
                    if (reader.TokenType == JsonTokenType.EndArray) break;
                    if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                        throw Error(ref reader, $"the value of piece {key} must be a flat array [id, display, count]");
                    lastIsNumber = reader.TokenType == JsonTokenType.Number;
                    if (lastIsNumber && !reader.TryGetInt64(out count))
                        throw Error(ref reader, $"piece {key}: {Encoding.UTF8.GetString(reader.ValueSpan)} is not a 64-bit integer");
                    if (elements == 0)
                    {
                        firstIsNumber = lastIsNumber;
                        id = count;
                    }
                    elements++;
                }
                if (elements < 2 || !firstIsNumber || !lastIsNumber)
                    throw Error(ref reader, $"the value of piece {key} must be [id, display, count] with an integer id first and an integer count last");
                if (id > int.MaxValue || id < int.MinValue)
                    throw Error(ref reader, $"piece {key} has id {id}, which does not fit a 32-bit integer");
                pieces.Add(new CountedPiece(piece, (int)id, count));
            }
            if (reader.Read()) throw Error(ref reader, "unexpected data after the top-level object");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"malformed BytePiece JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of that line: {e.Message}", e);
        }
        ModelLimits.CheckFileSize(json.Length, pieces.Count, pieceBytes);
        return UnigramModel.FromCounts(pieces, normalization);
    }

    /// <summary>The longest base64 key of a piece within <see cref="ModelLimits.MaxPieceBytes"/>.</summary>
    private const int MaxKeyChars = (ModelLimits.MaxPieceBytes + 2) / 3 * 4;

    /// <summary>
    /// Writes <paramref name="model"/> as BytePiece JSON (UTF-8, indented by 4, pieces in id order,
    /// non-ASCII display text written as is), readable by upstream BytePiece.
    /// </summary>
    public static void Write(UnigramModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var options = new JsonWriterOptions { Indented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var writer = new Utf8JsonWriter(output, options);
        writer.WriteStartObject();
        var ordered = model.Pieces.OrderBy(p => p.Id);
        foreach (CountedPiece piece in ordered)
        {
            writer.WriteStartArray(Convert.ToBase64String(piece.Bytes.Span));
            writer.WriteNumberValue(piece.Id);
            writer.WriteStringValue(DisplayIgnoringInvalid(piece.Bytes.Span));
            writer.WriteNumberValue(piece.Count);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>The display string upstream writes: the bytes as UTF-8 with invalid sequences dropped.</summary>
    private static string DisplayIgnoringInvalid(ReadOnlySpan<byte> piece)
    {
        var sb = new StringBuilder(piece.Length);
        Utf8Text.Decode(piece, sb, DecodePolicy.Ignore, isFinal: true, 0);
        return sb.ToString();
    }

    private static byte[] DecodeBase64(string key, long offset)
    {
        Span<byte> utf8 = key.Length <= 256 ? stackalloc byte[key.Length] : new byte[key.Length];
        bool ascii = Encoding.ASCII.TryGetBytes(key, utf8, out int length) && System.Text.Ascii.IsValid(key);
        var buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(key.Length)];
        if (!ascii || key.Length % 4 != 0 || key.AsSpan().ContainsAny(" \t\r\n")
            || Base64.DecodeFromUtf8(utf8[..length], buffer, out int consumed, out int written) != OperationStatus.Done || consumed != length)
            throw new ModelFormatException($"key \"{key}\" at byte {offset} is not standard base64 with padding");
        if (written == 0)
            throw new ModelFormatException($"key \"{key}\" at byte {offset} decodes to an empty piece; pieces must have at least one byte");
        return buffer.AsSpan(0, written).ToArray();
    }

    private static ModelFormatException Error(ref Utf8JsonReader reader, string message)
        => new($"{message} (at byte {reader.TokenStartIndex})");

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };
}
