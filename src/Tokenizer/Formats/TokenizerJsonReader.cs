using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BytePiece.Decoding;
using BytePiece.Model;
using BytePiece.Normalization;

namespace BytePiece.Formats;

/// <summary>An added token of a tokenizer.json (matched in the raw text before the pipeline runs).</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LeftStrip, bool RightStrip, bool SingleWord);

/// <summary>Everything a tokenizer.json with a Unigram model says, parsed into the pipeline's steps.</summary>
internal sealed record TokenizerJsonPipeline(TokenizerJsonUnigram Model, IReadOnlyList<AddedToken> AddedTokens, TextNormalizerStep? Normalizer,
    PreTokenizerStep? PreTokenizer, DecoderStep? Decoder, IReadOnlyList<object>? SingleTemplate);

/// <summary>
/// Reads a HuggingFace <c>tokenizer.json</c> whose model is <c>Unigram</c>: the vocabulary, <c>unk_id</c>,
/// <c>byte_fallback</c>, added tokens, and the normalizer, pre-tokenizer, post-processor and decoder steps
/// that Unigram files use. Anything else is refused with a message that names it.
/// </summary>
internal static class TokenizerJsonReader
{
    public static TokenizerJsonPipeline Read(ReadOnlySpan<byte> content)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"tokenizer.json is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out JsonElement model))
                    throw new ModelFormatException("tokenizer.json has no \"model\" object");
                TokenizerJsonUnigram unigram = ReadModel(model);
                ModelLimits.CheckFileSize(content.Length, unigram.VocabSize, unigram.PieceBytes);
                var added = new List<AddedToken>();
                if (root.TryGetProperty("added_tokens", out JsonElement tokens) && tokens.ValueKind == JsonValueKind.Array)
                    foreach (JsonElement t in tokens.EnumerateArray())
                        added.Add(new AddedToken(t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString() ?? throw new ModelFormatException("a string is null"), Bool(t, "special"),
                            Bool(t, "lstrip"), Bool(t, "rstrip"), Bool(t, "single_word")));
                return new TokenizerJsonPipeline(unigram, added,
                    Optional(root, "normalizer") is { } n ? ReadNormalizer(n) : null,
                    Optional(root, "pre_tokenizer") is { } p ? ReadPreTokenizer(p) : null,
                    Optional(root, "decoder") is { } d ? ReadDecoder(d) : null,
                    Optional(root, "post_processor") is { } post ? ReadPostProcessor(post) : null);
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or ArgumentException or FormatException and not ModelFormatException)
            {
                throw new ModelFormatException($"tokenizer.json is malformed: {e.Message}", e);
            }
        }
    }

    private static TokenizerJsonUnigram ReadModel(JsonElement model)
    {
        string type = Optional(model, "type")?.GetString() ?? (model.TryGetProperty("merges", out _) ? "BPE" : "Unigram");
        if (type != "Unigram") throw new ModelFormatException($"the tokenizer.json model is {type}; only Unigram models are supported");
        var vocab = new List<(string, double)>();
        long pieceBytes = 0;
        foreach (JsonElement entry in model.GetProperty("vocab").EnumerateArray())
        {
            if (entry.GetArrayLength() != 2) throw new ModelFormatException($"vocabulary entry {vocab.Count} is not a [piece, score] pair");
            // The raw value is checked before it becomes a string (escapes only lengthen it: 6 bytes at most per byte).
            int raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(entry[0]).Length - 2;
            if (raw > 6 * ModelLimits.MaxPieceBytes) ModelLimits.CheckPieceLength(raw, vocab.Count);
            string piece = entry[0].GetString() ?? throw new ModelFormatException("a string is null");
            int length = Encoding.UTF8.GetByteCount(piece);
            ModelLimits.CheckPieceLength(length, vocab.Count);
            pieceBytes += length;
            ModelLimits.CheckVocabulary(vocab.Count + 1, pieceBytes);
            double score = entry[1].GetDouble();
            ModelLimits.CheckScore(score, vocab.Count);
            vocab.Add((piece, score));
        }
        int? unk = Optional(model, "unk_id") is { } u ? u.GetInt32() : null;
        return new TokenizerJsonUnigram(vocab, unk, Bool(model, "byte_fallback"));
    }

    private static TextNormalizerStep ReadNormalizer(JsonElement e) => Type(e) switch
    {
        "Sequence" => new SequenceStep([.. e.GetProperty("normalizers").EnumerateArray().Select(ReadNormalizer)]),
        "Precompiled" => Optional(e, "precompiled_charsmap") is { } blob && blob.GetString() is { Length: > 0 } base64
            ? new PrecompiledStep(PrecompiledCharsMap.Parse(Convert.FromBase64String(base64)))
            : new SequenceStep([]),
        "Replace" => new ReplaceStep(Pattern(e.GetProperty("pattern")), e.GetProperty("content").GetString() ?? throw new ModelFormatException("a string is null")),
        "Strip" => new StripStep(Bool(e, "strip_left"), Bool(e, "strip_right")),
        "NFC" => new UnicodeFormStep(NormalizationForm.FormC),
        "NFD" => new UnicodeFormStep(NormalizationForm.FormD),
        "NFKC" => new UnicodeFormStep(NormalizationForm.FormKC),
        "NFKD" => new UnicodeFormStep(NormalizationForm.FormKD),
        "Lowercase" => new LowercaseStep(),
        "Prepend" => new PrependStep(e.GetProperty("prepend").GetString() ?? throw new ModelFormatException("a string is null")),
        var other => throw new ModelFormatException($"normalizer \"{other}\" is not supported (supported: Sequence, Precompiled, Replace, Strip, NFC, NFD, NFKC, NFKD, Lowercase, Prepend)"),
    };

    private static PreTokenizerStep ReadPreTokenizer(JsonElement e) => Type(e) switch
    {
        "Sequence" => new PreTokenizerSequence([.. e.GetProperty("pretokenizers").EnumerateArray().Select(ReadPreTokenizer)]),
        "Metaspace" => new MetaspaceStep(Replacement(e), Prepend(e), Optional(e, "split")?.GetBoolean() ?? true),
        "WhitespaceSplit" => new WhitespaceSplitStep(),
        var other => throw new ModelFormatException($"pre-tokenizer \"{other}\" is not supported (supported: Metaspace, WhitespaceSplit, Sequence)"),
    };

    private static DecoderStep ReadDecoder(JsonElement e) => Type(e) switch
    {
        "Sequence" => new DecoderSequence([.. e.GetProperty("decoders").EnumerateArray().Select(ReadDecoder)]),
        "Metaspace" => new MetaspaceDecoder(Replacement(e), Prepend(e)),
        "ByteFallback" => new ByteFallbackDecoder(),
        "Fuse" => new FuseDecoder(),
        "Replace" => new ReplaceDecoder(Pattern(e.GetProperty("pattern")), e.GetProperty("content").GetString() ?? throw new ModelFormatException("a string is null")),
        "Strip" => new StripDecoder(e.GetProperty("content").GetString() ?? throw new ModelFormatException("a string is null"), e.GetProperty("start").GetInt32(), e.GetProperty("stop").GetInt32()),
        var other => throw new ModelFormatException($"decoder \"{other}\" is not supported (supported: Metaspace, ByteFallback, Fuse, Replace, Strip, Sequence)"),
    };

    /// <summary>The single-sequence template: "A" for the text, or a special token's ids (TemplateProcessing, Roberta/BertProcessing).</summary>
    private static IReadOnlyList<object> ReadPostProcessor(JsonElement e)
    {
        switch (Type(e))
        {
            case "TemplateProcessing":
                var specials = e.GetProperty("special_tokens");
                var items = new List<object>();
                foreach (JsonElement item in e.GetProperty("single").EnumerateArray())
                {
                    if (item.TryGetProperty("Sequence", out _)) items.Add("A");
                    else items.Add(specials.GetProperty(item.GetProperty("SpecialToken").GetProperty("id").GetString() ?? throw new ModelFormatException("a string is null")).GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray());
                }
                return items;
            case "RobertaProcessing":
            case "BertProcessing":
                return [new[] { e.GetProperty("cls")[1].GetInt32() }, "A", new[] { e.GetProperty("sep")[1].GetInt32() }];
            case var other:
                throw new ModelFormatException($"post-processor \"{other}\" is not supported (supported: TemplateProcessing, RobertaProcessing, BertProcessing)");
        }
    }

    private static Rune Replacement(JsonElement e)
    {
        string s = (Optional(e, "replacement") ?? Optional(e, "str_rep"))?.GetString() ?? "\u2581";
        return Rune.GetRuneAt(s, 0);
    }

    private static PrependScheme Prepend(JsonElement e) => Optional(e, "prepend_scheme")?.GetString() switch
    {
        "always" => PrependScheme.Always,
        "first" => PrependScheme.First,
        "never" => PrependScheme.Never,
        null => Optional(e, "add_prefix_space")?.GetBoolean() == false ? PrependScheme.Never : PrependScheme.Always,
        var other => throw new ModelFormatException($"Metaspace prepend_scheme \"{other}\" is not one of always, first, never"),
    };

    private static Regex Pattern(JsonElement pattern)
    {
        if (pattern.TryGetProperty("String", out JsonElement literal)) return new Regex(Regex.Escape(literal.GetString() ?? throw new ModelFormatException("a string is null")), RegexOptions.CultureInvariant);
        if (pattern.TryGetProperty("Regex", out JsonElement regex))
        {
            try { return new Regex(regex.GetString() ?? throw new ModelFormatException("a string is null"), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(30)); }
            catch (ArgumentException ex) { throw new ModelFormatException($"pattern \"{regex.GetString()}\" is not a regular expression this engine reads: {ex.Message}"); }
        }
        throw new ModelFormatException("a pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
    }

    private static string Type(JsonElement e) => e.GetProperty("type").GetString() ?? throw new ModelFormatException("a step has no type");

    private static JsonElement? Optional(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static bool Bool(JsonElement e, string name) => Optional(e, name) is { } v && v.GetBoolean();
}
