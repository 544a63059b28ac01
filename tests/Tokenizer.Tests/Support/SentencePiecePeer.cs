using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using BytePiece.Testing;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The live peer, Debian's <c>sentencepiece</c> (spm_train, spm_encode; installed by .ci/run): models
/// trained once per test run into the run's folder (<see cref="RunFolder"/>), and spm_encode's ids for a file of lines.
/// </summary>
internal static class SentencePiecePeer
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> s_trained = new();
    private static readonly Lazy<string> s_trainingText = new(WriteTrainingText);
    // The trained models live as long as the test run, in its folder.
    private static readonly string s_folder = Path.Combine(RunFolder.Path, "spm");

    /// <summary>A file of Google's SentencePiece test data (tests/data/models/sentencepiece).</summary>
    public static string SharedModelPath(string name) => SharedFolder.SentencePieceFilePath(name);

    /// <summary>
    /// The models the tests compare on, by name: Google's two test models (files in tests/data) and one
    /// model spm_train makes per normalization rule and flag (the spm_train flags).
    /// </summary>
    private static readonly Dictionary<string, string?> s_models = new()
    {
        ["test_model.model"] = null,
        ["test_ja_model.model"] = null,
        ["nmt_nfkc"] = "--normalization_rule_name=nmt_nfkc",
        ["nfkc_byte_fallback"] = "--normalization_rule_name=nfkc --byte_fallback=true",
        ["identity_keep_spaces"] = "--normalization_rule_name=identity --remove_extra_whitespaces=false --add_dummy_prefix=false",
        ["nmt_nfkc_cf_symbols"] = "--normalization_rule_name=nmt_nfkc_cf --user_defined_symbols=<sep>,[MASK],@@ --control_symbols=<ctl>,<2ja>",
        ["suffix_byte_fallback"] = "--treat_whitespace_as_suffix=true --byte_fallback=true",
        ["split_digits_coverage"] = "--split_digits=true --character_coverage=0.98",
        ["no_dummy_prefix_nfkc"] = "--normalization_rule_name=nfkc --add_dummy_prefix=false --user_defined_symbols=\u2581\u2581,\u4E2D\u6587",
    };

    /// <summary>The path of a model of the matrix (trained on first use).</summary>
    public static string ModelPath(string name) => s_models[name] is { } flags ? TrainedModelPath(name, flags) : SharedModelPath(name);

    /// <summary>Model names for a theory: the given ones, or the whole matrix.</summary>
    public static TheoryData<string> Models(params string[] names) => new(names.Length > 0 ? names : s_models.Keys);

    /// <summary>
    /// A Unigram model trained by spm_train on the shared corpora with the given flags (vocabulary 4,000
    /// unless the flags say otherwise); trained once per run and per name.
    /// </summary>
    private static string TrainedModelPath(string name, string flags)
        => s_trained.GetOrAdd(name, n => new Lazy<string>(() => Train(n, flags))).Value;

    /// <summary>
    /// A model with a <c>denormalizer_spec</c> (spm_train's <c>--denormalization_rule_tsv</c>): after decoding,
    /// "a" becomes "A", "the" becomes "THE" and "fi" becomes the ligature U+FB01, so decoding shows
    /// whether the denormalizer was applied. Not in the matrix: it changes only decoding.
    /// </summary>
    public static string DenormalizedModelPath() => s_trained.GetOrAdd("denormalized", n => new Lazy<string>(() =>
    {
        string rules = Path.Combine(s_folder, "denormalization.tsv");
        Directory.CreateDirectory(s_folder);
        File.WriteAllText(rules, "61\t41\n74 68 65\t54 48 45\n66 69\tFB01\n");
        return Train(n, $"--normalization_rule_name=nmt_nfkc --denormalization_rule_tsv={rules}");
    })).Value;

    private static string Train(string name, string flags)
    {
        Prerequisites.Require(Prerequisite.SentencePieceTools);
        string prefix = Path.Combine(s_folder, name);
        string args = $"--input={s_trainingText.Value} --model_prefix={prefix} --model_type=unigram --num_threads=2 --minloglevel=2 "
            + (flags.Contains("--vocab_size") ? "" : "--vocab_size=4000 ") + flags;
        Run("spm_train", args, stdin: null);
        return prefix + ".model";
    }

    private static string WriteTrainingText()
    {
        Directory.CreateDirectory(s_folder);
        string path = Path.Combine(s_folder, "train.txt");
        using var file = File.Create(path);
        foreach (var (corpus, bytes) in new[] { ("zh", 700_000), ("en", 700_000), ("code", 400_000) })
            file.Write(SharedData.Corpus(corpus, bytes));
        file.Write(File.ReadAllBytes(SharedModelPath("botchan.txt")));
        return path;
    }

    /// <summary>spm_encode's ids for each line (one sentence per line, as spm_encode reads them).</summary>
    public static List<int[]> Encode(string modelPath, IReadOnlyList<byte[]> lines, string extraArgs = "")
        => RunOnLines("spm_encode", $"--model={modelPath} --output_format=id {extraArgs}", lines)
            .Select(l => l.Length == 0 ? [] : l.Split(' ').Select(int.Parse).ToArray()).ToList();

    /// <summary>spm_normalize's output for each line, with the model's own normalizer spec as spm_encode uses it.</summary>
    public static List<byte[]> Normalize(string modelPath, IReadOnlyList<byte[]> lines)
        => RunOnLines("spm_normalize", $"--model={modelPath} --use_internal_normalization", lines).Select(Encoding.UTF8.GetBytes).ToList();

    /// <summary>Runs a peer tool over a file of the lines (a sentence per line); its output, a line per input line.</summary>
    private static List<string> RunOnLines(string program, string args, IReadOnlyList<byte[]> lines)
    {
        Prerequisites.Require(Prerequisite.SentencePieceTools);
        Directory.CreateDirectory(s_folder);
        string input = Path.Combine(s_folder, $"input-{Guid.NewGuid():N}.txt");
        using (var file = File.Create(input))
            foreach (byte[] line in lines)
            {
                file.Write(line);
                file.WriteByte((byte)'\n');
            }
        try
        {
            List<string> result = [.. Run(program, $"{args} --input={input}", stdin: null).Split('\n').SkipLast(1)];
            if (result.Count != lines.Count) throw new InvalidOperationException($"{program} printed {result.Count} lines for {lines.Count}");
            return result;
        }
        finally
        {
            File.Delete(input);
        }
    }

    /// <summary>Real lines for parity runs: zh, en and code from the shared corpora, ja and en from the spm novels.</summary>
    public static List<byte[]> RealLines(int perSource)
    {
        var lines = new List<byte[]>();
        foreach (string corpus in new[] { "zh", "en", "code" })
            lines.AddRange(SplitLines(SharedData.Corpus(corpus, 4 << 20)).Take(perSource));
        lines.AddRange(SplitLines(File.ReadAllBytes(SharedModelPath("wagahaiwa_nekodearu.txt"))).Take(perSource));
        lines.AddRange(SplitLines(File.ReadAllBytes(SharedModelPath("botchan.txt"))).Take(perSource));
        return lines;
    }

    /// <summary>The real lines and edge cases that are valid UTF-8, as strings (for the peers that take text, not bytes).</summary>
    public static List<string> TextLines(int perSource)
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var lines = new List<string>();
        foreach (byte[] line in RealLines(perSource).Concat(EdgeCases()))
        {
            try { lines.Add(strict.GetString(line)); }
            catch (DecoderFallbackException) { }
        }
        return lines;
    }

    /// <summary>Inputs where the rules differ most: whitespace, NFD, controls, U+FFFD, specials as text, unknowns, bad bytes.</summary>
    public static List<byte[]> EdgeCases()
    {
        string[] texts =
        [
            "", " ", "   ", "  leading spaces", "trailing spaces   ", "multiple   spaces   inside", " \t mixed \t whitespace \t ",
            "\ttab\tseparated\tvalues", "Cafe\u0301 e\u0301te\u0301 nai\u0308ve (NFD)", "A\u030A \u00C5 \u212B", "\u1100\u1161\u11A8 \uAC01 (Hangul)",
            "control \u0001\u0002\u0003 chars \u007f end", "bell\u0007 and escape\u001b[0m", "U+FFFD \uFFFD literal", "\uFFFD\uFFFD",
            "<s> </s> <unk> <pad> look like specials", "<0x41><0xE3> look like bytes", "\u2581already\u2581escaped \u2581", "\u2581",
            "full-width \uFF21\uFF22\uFF23 \uFF11\uFF12\uFF13 \uFF5E\uFF01", "half-width \uFF76\uFF80\uFF76\uFF85 \uFF9E",
            "emoji \U0001F600\U0001F389 and \U00010300\U00010300b \U00010300", "a\U00010300\U00010300b \U00010300",
            "digits 1234567890 3.14159 2026-12-01", "mixed \u4E2D\u6587 English \u65E5\u672C\u8A9E \uD55C\uAD6D\uC5B4",
            "\u3000ideographic\u3000space\u3000", "zero\u200Bwidth\u200Cjoiners\u200D", "nbsp\u00A0here\u00A0\u00A0twice", "line\u2028separator\u2029para",
            "\u00DF \u1E9E \u0130 \u0131 \u01C5 \uFB01 \u216B \u2460 \u00BD \u00B2", "ligatures \uFB00\uFB01\uFB02 and \u2126 \u212A",
            "<sep> [MASK] @@ user defined", "x<sep>y[MASK]z@@w", "<ctl> <2ja> control-looking", "windows line\r", "\r\r", "tab at end\t",
            "very " + string.Concat(Enumerable.Repeat("long ", 400)) + "line", string.Concat(Enumerable.Repeat("\u4E2D", 3000)),
            string.Concat(Enumerable.Repeat("ab", 2000)), "    \u3000  \t ", "\u0300 combining first", "e\u0301\u0301\u0301 stacked",
            "\uFEFFbyte order mark", "right-to-left \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627", "Devanagari \u0928\u092E\u0938\u094D\u0924\u0947",
            "Thai \u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35", "12 345 678,90 \u20AC", "$HOME/path/to/file.txt --flag=value", "int main(void) { return 0; }",
        ];
        var lines = texts.Select(Encoding.UTF8.GetBytes).ToList();
        // Malformed UTF-8: stray continuation bytes, a truncated sequence, an overlong form, a surrogate, 0xFF.
        lines.Add([0x61, 0x80, 0x62, 0xC3, 0x20, 0xE3, 0x81, 0x20, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xFF, 0x63]);
        lines.Add([0xF0, 0x9F, 0x98, 0x20, 0xF4, 0x90, 0x80, 0x80, 0x41]);
        return lines;
    }

    public static IEnumerable<byte[]> SplitLines(byte[] text)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != (byte)'\n') continue;
            yield return text[start..i];
            start = i + 1;
        }
        if (start < text.Length) yield return text[start..];
    }

    /// <summary>Runs a Python script with /usr/bin/python3 (where Debian's python3-sentencepiece lives): argv[1] = the model, argv[2] = a file holding <paramref name="input"/>.</summary>
    public static string RunPython(string script, string modelPath, string input)
    {
        Prerequisites.Require(Prerequisite.SentencePiecePython);
        Directory.CreateDirectory(s_folder);
        string scriptPath = Path.Combine(s_folder, $"script-{Guid.NewGuid():N}.py");
        string inputPath = Path.Combine(s_folder, $"input-{Guid.NewGuid():N}.txt");
        File.WriteAllText(scriptPath, script);
        File.WriteAllText(inputPath, input);
        try
        {
            return Run("/usr/bin/python3", $"{scriptPath} {modelPath} {inputPath}", stdin: null);
        }
        finally
        {
            File.Delete(scriptPath);
            File.Delete(inputPath);
        }
    }

    private static string Run(string program, string args, byte[]? stdin)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed ({Fix(program)}; .ci/run does it): {e.Message}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 && stderr.Result.Contains("No module named 'sentencepiece'", StringComparison.Ordinal))
                throw new InvalidOperationException($"python3-sentencepiece is not installed for {program} ({Fix(program)}; .ci/run does it)");
            if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {args} failed ({process.ExitCode}): {stderr.Result}");
            return stdout;
        }
    }

    private static string Fix(string program) => program.Contains("python", StringComparison.Ordinal)
        ? "apt-get install python3-sentencepiece"
        : "apt-get install sentencepiece";
}
