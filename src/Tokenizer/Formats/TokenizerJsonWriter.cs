using System.Text.Json;

namespace BytePiece;

/// <summary>
/// Writes a SentencePiece model as a HuggingFace <c>tokenizer.json</c>, the way transformers'
/// <c>SpmConverter</c> does: the Unigram vocabulary with scores, <c>unk_id</c> and <c>byte_fallback</c>;
/// normalizer <c>Sequence[Precompiled(charsmap), Strip(right), Replace(" {2,}" -> "▁")]</c>; pre-tokenizer and
/// decoder <c>Metaspace</c> (prepend "always" when the model adds a dummy prefix); control and
/// user-defined pieces as added tokens. The HF pipeline is not spm's (see docs/compatibility.md), so the file's
/// own library, not spm, is the reference for what it encodes to.
/// </summary>
public static class TokenizerJsonWriter
{
    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (a temporary file, renamed when complete).</summary>
    public static void Write(SentencePieceModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream => Write(model, stream));
    }

    /// <summary>Writes <paramref name="model"/> as tokenizer.json to <paramref name="output"/>.</summary>
    public static void Write(SentencePieceModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");

        json.WriteStartArray("added_tokens");
        for (int id = 0; id < model.VocabSize; id++)
        {
            SentencePieceType type = model.GetPieceType(id);
            if (type is not (SentencePieceType.Control or SentencePieceType.Unknown or SentencePieceType.UserDefined)) continue;
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", model.IdToPiece(id));
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", type != SentencePieceType.UserDefined);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("normalizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("normalizers");
        if (!model.PrecompiledCharsMap.IsEmpty)
        {
            json.WriteStartObject();
            json.WriteString("type", "Precompiled");
            json.WriteBase64String("precompiled_charsmap", model.PrecompiledCharsMap.Span);
            json.WriteEndObject();
        }
        json.WriteStartObject();
        json.WriteString("type", "Strip");
        json.WriteBoolean("strip_left", false);
        json.WriteBoolean("strip_right", true);
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "Replace");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", " {2,}");
        json.WriteEndObject();
        json.WriteString("content", "\u2581");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();

        string prepend = model.AddDummyPrefix ? "always" : "never";
        json.WriteStartObject("pre_tokenizer");
        WriteMetaspace(json, prepend);
        json.WriteBoolean("split", true);
        json.WriteEndObject();
        json.WriteNull("post_processor");
        json.WriteStartObject("decoder");
        WriteMetaspace(json, prepend);
        json.WriteBoolean("split", true);
        json.WriteEndObject();

        json.WriteStartObject("model");
        json.WriteString("type", "Unigram");
        json.WriteNumber("unk_id", model.UnknownId);
        json.WriteStartArray("vocab");
        for (int id = 0; id < model.VocabSize; id++)
        {
            json.WriteStartArray();
            json.WriteStringValue(model.IdToPiece(id));
            json.WriteNumberValue((double)model.GetScore(id));
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteBoolean("byte_fallback", model.ByteFallback);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteMetaspace(Utf8JsonWriter json, string prepend)
    {
        json.WriteString("type", "Metaspace");
        json.WriteString("replacement", "\u2581");
        json.WriteString("prepend_scheme", prepend);
    }
}
