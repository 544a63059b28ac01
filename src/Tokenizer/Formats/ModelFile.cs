using BytePiece.Formats;

namespace BytePiece;

/// <summary>The formats a model file can be in.</summary>
public enum ModelFileFormat
{
    /// <summary>BytePiece JSON (upstream's <c>.model</c> files).</summary>
    BytePieceJson,

    /// <summary>Our native binary format (<c>.bpm</c>), see <see cref="NativeModelFormat"/>.</summary>
    Native,

    /// <summary>A SentencePiece <c>.model</c> (protobuf <c>ModelProto</c>): load it with <see cref="ModelFile.LoadSentencePiece(string)"/> or <see cref="SentencePieceTokenizer.Load"/>.</summary>
    SentencePiece,

    /// <summary>A HuggingFace <c>tokenizer.json</c> (a JSON object with a <c>"model"</c>): load it with <see cref="HuggingFaceTokenizer.Load"/>.</summary>
    TokenizerJson,
}

/// <summary>Loads and saves model files, detecting the format from the content.</summary>
public static class ModelFile
{
    /// <summary>Loads a model from <paramref name="path"/> (BytePiece JSON or native, detected from the content).</summary>
    /// <exception cref="ModelFormatException">The file is not a valid model; the message says what and where.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static UnigramModel Load(string path) => ReadFile(path, content => Load(content));

    /// <summary>Loads a SentencePiece <c>.model</c> file.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid SentencePiece Unigram model; the message says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SentencePieceModel LoadSentencePiece(string path) => ReadFile(path, content => LoadSentencePiece(content));

    /// <summary>Parses the content of a SentencePiece <c>.model</c> file.</summary>
    /// <exception cref="ModelFormatException">The content is not a valid SentencePiece Unigram model.</exception>
    public static SentencePieceModel LoadSentencePiece(ReadOnlySpan<byte> content) => SentencePieceModelFile.Read(content);

    /// <summary>Reads a model file whole and parses it; a format error names the file.</summary>
    internal static T ReadFile<T>(string path, Func<byte[], T> parse)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            // The file is read whole: refuse a huge one before reading it.
            long length = new FileInfo(path).Length;
            if (length > ModelLimits.MaxFileBytes)
                throw new ModelFormatException($"the file is {length:N0} bytes; model files are at most {ModelLimits.MaxFileBytes:N0} bytes (ModelLimits.MaxFileBytes)");
            return parse(File.ReadAllBytes(path));
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Loads a model from a file's bytes (BytePiece JSON or native, detected from the content).</summary>
    /// <exception cref="ModelFormatException">The content is not a valid model.</exception>
    public static UnigramModel Load(ReadOnlySpan<byte> content) => Detect(content) switch
    {
        ModelFileFormat.Native => NativeModelFormat.Read(content),
        ModelFileFormat.SentencePiece => throw new ModelFormatException(
            "this is a SentencePiece model (protobuf), not a BytePiece model; load it with SentencePieceTokenizer.Load or ModelFile.LoadSentencePiece"),
        ModelFileFormat.TokenizerJson => throw new ModelFormatException(
            "this is a HuggingFace tokenizer.json, not a BytePiece model; load it with HuggingFaceTokenizer.Load"),
        _ => BytePieceJson.Read(content),
    };

    /// <summary>
    /// The format of a file's content (its first 64 KiB are enough): native if it starts with the native magic,
    /// SentencePiece if it starts like a <c>ModelProto</c>, tokenizer.json if a top-level key is one of that
    /// format's, else BytePiece JSON.
    /// </summary>
    public static ModelFileFormat Detect(ReadOnlySpan<byte> content)
        => content.StartsWith(NativeModelFormat.Magic) ? ModelFileFormat.Native
            : SentencePieceModelFile.LooksLikeModelProto(content) ? ModelFileFormat.SentencePiece
            : HasTokenizerJsonKey(content) ? ModelFileFormat.TokenizerJson
            : ModelFileFormat.BytePieceJson;

    /// <summary>
    /// Whether the JSON object's top level (as far as <paramref name="content"/>, which may be only the
    /// file's head, goes) has a tokenizer.json key. None of them is base64 (wrong length or an '_'), so
    /// none can be a BytePiece JSON key.
    /// </summary>
    private static bool HasTokenizerJsonKey(ReadOnlySpan<byte> content)
    {
        var reader = new System.Text.Json.Utf8JsonReader(content, isFinalBlock: false, new System.Text.Json.JsonReaderState(new System.Text.Json.JsonReaderOptions { MaxDepth = 256 }));
        try
        {
            if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
            {
                foreach (string key in s_tokenizerJsonKeys)
                    if (reader.ValueTextEquals(key)) return true;
                if (!reader.Read() || !reader.TrySkip()) return false;
            }
        }
        catch (System.Text.Json.JsonException) { }
        return false;
    }

    private static readonly string[] s_tokenizerJsonKeys = ["model", "version", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "truncation", "padding"];

    /// <summary>The format a file name asks for: <c>.bpm</c> is native, anything else BytePiece JSON.</summary>
    public static ModelFileFormat FormatFromExtension(string path)
        => Path.GetExtension(path).Equals(".bpm", StringComparison.OrdinalIgnoreCase) ? ModelFileFormat.Native : ModelFileFormat.BytePieceJson;

    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/>: written to a temporary file beside it and
    /// renamed only when complete, so a failed save never leaves a partial or truncated file.
    /// </summary>
    public static void Save(UnigramModel model, string path, ModelFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream =>
        {
            if (format == ModelFileFormat.Native) NativeModelFormat.Write(model, stream);
            else BytePieceJson.Write(model, stream);
        });
    }
}
