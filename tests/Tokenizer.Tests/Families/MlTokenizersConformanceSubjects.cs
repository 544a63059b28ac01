using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace BytePiece.Tests;

/// <summary>
/// One of our tokenizers as <see cref="MlTokenizersConformanceTests"/> sees it: the instance typed as
/// Microsoft.ML.Tokenizers' <see cref="Tokenizer"/> (the surface under test) and the family's own answers
/// (the reference), reached through the concrete class.
/// </summary>
/// <param name="Name">The subject's name in the theories.</param>
/// <param name="Tokenizer">The tokenizer, typed as ML's base: the tests call nothing else on it.</param>
/// <param name="NativeIds">The family's own ids for a text (no specials).</param>
/// <param name="NativeTokens">The family's own tokens for a text (no specials).</param>
/// <param name="NativeDecode">The family's own decoding of ids.</param>
internal sealed record ConformanceSubject(string Name, Tokenizer Tokenizer, Func<string, int[]> NativeIds,
    Func<string, IReadOnlyList<PieceToken>> NativeTokens, Func<IReadOnlyList<int>, string> NativeDecode)
{
    public override string ToString() => Name;
}

/// <summary>The subjects and texts of <see cref="MlTokenizersConformanceTests"/>, made once per test run.</summary>
internal static class MlTokenizersConformanceData
{
    /// <summary>The embedded default model.</summary>
    public const string Default = "default";

    /// <summary>Upstream's real 40k BytePiece model (tests/data).</summary>
    public const string BytePiece40k = "bytepiece.eu.plus.40k";

    /// <summary>Google's English test model (tests/data; nmt_nfkc, no byte fallback).</summary>
    public const string SpmTest = "test_model.model";

    /// <summary>Google's Japanese test model (tests/data).</summary>
    public const string SpmTestJa = "test_ja_model.model";

    /// <summary>An spm_train model with nfkc and byte fallback (needs the peer tools and the corpora).</summary>
    public const string SpmByteFallback = "nfkc_byte_fallback";

    /// <summary>The tokenizer.json <see cref="TokenizerJsonWriter"/> makes from <see cref="SpmTest"/>.</summary>
    public const string JsonTest = "tokenizer.json:test_model";

    /// <summary>The tokenizer.json made from <see cref="SpmByteFallback"/>.</summary>
    public const string JsonByteFallback = "tokenizer.json:nfkc_byte_fallback";

    /// <summary>Text in the repository (tests/data): a fresh clone runs every check on it.</summary>
    public const string RepositoryText = "repository";

    /// <summary>Lines of the zh, en and code corpora (../shared or BYTEPIECE_TEST_DATA).</summary>
    public const string CorporaText = "corpora";

    public static readonly string[] Kinds = [Default, BytePiece40k, SpmTest, SpmTestJa, SpmByteFallback, JsonTest, JsonByteFallback];

    private static readonly ConcurrentDictionary<string, Lazy<ConformanceSubject>> s_subjects = new();
    private static readonly ConcurrentDictionary<string, Lazy<string>> s_jsonPaths = new();
    private static readonly Lazy<string> s_folder = new(() => RunFolder.NewFolder("ml-conformance"));
    private static readonly Lazy<List<string>> s_repositoryLines = new(ReadRepositoryLines);
    private static readonly Lazy<List<string>> s_corporaLines = new(ReadCorporaLines);

    /// <summary>The subject by name (what it needs beyond tests/data is required first, so a missing peer skips).</summary>
    public static ConformanceSubject Subject(string kind)
    {
        if (kind is SpmByteFallback or JsonByteFallback)
        {
            Prerequisites.Require(Prerequisite.SentencePieceTools);
            Prerequisites.Require(Prerequisite.Corpora);
        }
        return s_subjects.GetOrAdd(kind, k => new Lazy<ConformanceSubject>(() => Create(k))).Value;
    }

    private static ConformanceSubject Create(string kind) => kind switch
    {
        Default => BytePieceSubject(kind, BytePieceTokenizer.Default),
        BytePiece40k => BytePieceSubject(kind, BytePieceTokenizer.Load(SharedFolder.BytePieceModelPath("bytepiece.eu.plus.40k.model"))),
        SpmTest or SpmTestJa => SentencePieceSubject(kind, SentencePieceTokenizer.Load(SharedFolder.SentencePieceFilePath(kind))),
        SpmByteFallback => SentencePieceSubject(kind, SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath(kind))),
        JsonTest => HuggingFaceSubject(kind, HuggingFaceTokenizer.Load(JsonPath(SharedFolder.SentencePieceFilePath(SpmTest)))),
        JsonByteFallback => HuggingFaceSubject(kind, HuggingFaceTokenizer.Load(JsonPath(SentencePiecePeer.ModelPath(SpmByteFallback)))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static ConformanceSubject BytePieceSubject(string name, BytePieceTokenizer b)
        => new(name, b,
            text => b.EncodeBytes(Encoding.UTF8.GetBytes(b.Model.Normalization == TextNormalization.Nfc ? text.Normalize(NormalizationForm.FormC) : text)),
            text => b.EncodeToPieceTokens(text),
            ids => b.Decode(ids, DecodePolicy.Replace, skipSpecialTokens: true));

    private static ConformanceSubject SentencePieceSubject(string name, SentencePieceTokenizer s)
        => new(name, s, text => [.. s.EncodeToIds(Encoding.UTF8.GetBytes(text))], s.EncodeToPieceTokens, ids => s.Decode(ids));

    private static ConformanceSubject HuggingFaceSubject(string name, HuggingFaceTokenizer h)
        => new(name, h, text => [.. h.EncodeToIds(text, addSpecialTokens: false)], text => h.EncodeToPieceTokens(text), ids => h.Decode(ids, skipSpecialTokens: true));

    /// <summary>The tokenizer.json of a .model file (written once per run).</summary>
    private static string JsonPath(string modelPath) => s_jsonPaths.GetOrAdd(modelPath, m => new Lazy<string>(() =>
    {
        string path = Path.Combine(s_folder.Value, Path.GetFileNameWithoutExtension(m) + ".tokenizer.json");
        TokenizerJsonWriter.Write(ModelFile.LoadSentencePiece(m), path);
        return path;
    })).Value;

    /// <summary>The tokenizer.json of <paramref name="kind"/> with one step removed (set to null): the reference for the flags that skip it.</summary>
    public static HuggingFaceTokenizer JsonWithout(string kind, string step)
    {
        string modelPath = kind == JsonTest ? SharedFolder.SentencePieceFilePath(SpmTest) : SentencePiecePeer.ModelPath(SpmByteFallback);
        var json = JsonNode.Parse(File.ReadAllBytes(JsonPath(modelPath)))!.AsObject();
        json[step] = null;
        return HuggingFaceTokenizer.FromJson(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    /// <summary>The lines of a text source (the corpora are required first, so they skip when missing).</summary>
    public static List<string> Lines(string source)
    {
        if (source == RepositoryText) return s_repositoryLines.Value;
        Prerequisites.Require(Prerequisite.Corpora);
        return s_corporaLines.Value;
    }

    /// <summary>
    /// The repository's real text: lines of the upstream goldens' texts (en, zh, code from the Debian corpora,
    /// ja from the novel), lines of Botchan, and SentencePiece's edge cases (whitespace, NFD, controls, emoji
    /// and other surrogate pairs, CJK, full-width, long lines).
    /// </summary>
    private static List<string> ReadRepositoryLines()
    {
        var bySource = new Dictionary<string, List<string>>();
        using (var gzip = new GZipStream(File.OpenRead(Path.Combine(SharedData.Root, "golden", "bytepiece", "golden.jsonl.gz")), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
        {
            while (reader.ReadLine() is { } json)
            {
                using var document = JsonDocument.Parse(json);
                string source = document.RootElement.GetProperty("source").GetString()!;
                if (source == "edge") continue;
                List<string> lines = bySource.TryGetValue(source, out var list) ? list : bySource[source] = [];
                if (lines.Count >= 60) continue;
                foreach (string line in document.RootElement.GetProperty("text").GetString()!.Split('\n'))
                    if (line.Trim().Length > 0 && line.Length <= 600 && lines.Count < 60) lines.Add(line);
            }
        }
        var result = bySource.Values.SelectMany(l => l).ToList();
        result.AddRange(File.ReadLines(SharedFolder.SentencePieceFilePath("botchan.txt")).Where(l => l.Trim().Length > 0).Take(30));
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (byte[] edge in SentencePiecePeer.EdgeCases())
        {
            try { result.Add(strict.GetString(edge)); }
            catch (DecoderFallbackException) { }
        }
        return result;
    }

    /// <summary>Lines of the zh, en and code corpora (every 7th non-empty line of the first 1 MB, up to 150 per corpus).</summary>
    private static List<string> ReadCorporaLines()
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var result = new List<string>();
        foreach (string corpus in new[] { "zh", "en", "code" })
        {
            int taken = 0, seen = 0;
            foreach (byte[] bytes in SentencePiecePeer.SplitLines(SharedData.Corpus(corpus, 1 << 20)))
            {
                if (taken == 150) break;
                string line;
                try { line = strict.GetString(bytes); }
                catch (DecoderFallbackException) { continue; }
                if (line.Trim().Length == 0 || line.Length > 600 || seen++ % 7 != 0) continue;
                result.Add(line);
                taken++;
            }
        }
        return result;
    }
}
