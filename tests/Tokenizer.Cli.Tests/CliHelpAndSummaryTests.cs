using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// What a new user reads first: the help of each command says which model files it takes, and says so truly
/// (each command is run with each family it claims); the summaries on stderr read well in a log.
/// </summary>
public class CliHelpAndSummaryTests
{
    private static string SpmModel => SentencePiecePeer.SharedModelPath("test_model.model");

    private static readonly Lazy<string> s_tokenizerJson = new(() =>
    {
        string path = Path.Combine(RunFolder.NewFolder("help-tokenizer-json"), "tokenizer.json");
        var (code, _, stderr) = CliRunner.Run("", "convert", "--model", SpmModel, "--output", path);
        Assert.True(code == 0, stderr);
        return path;
    });

    /// <summary>The commands whose --model takes all three families, and a command line that uses the model.</summary>
    public static TheoryData<string, string[]> EveryFamilyCommands => new()
    {
        { "encode", ["hello world", "--quiet"] },
        { "decode", ["5 6 7"] },
        { "nbest", ["hello world", "-k", "2"] },
        { "entropy", ["hello world"] },
        { "sample", ["hello world", "--alpha", "0.5", "-n", "2"] },
        { "info", [] },
    };

    [SkippableTheory]
    [MemberData(nameof(EveryFamilyCommands))]
    public void TheHelpOfModelOption_NamesAllThreeFamilies_AndTheCommandReadsEachOfThem(string command, string[] rest)
    {
        var (helpCode, help, _) = CliRunner.Run("", command, "--help");
        Assert.Equal(0, helpCode);
        string model = ModelOptionHelp(help);
        Assert.Contains("BytePiece JSON", model);
        Assert.Contains(".bpm", model);
        Assert.Contains("SentencePiece .model", model);
        Assert.Contains("tokenizer.json", model);
        // What the help promises, the command does.
        string bpm = Path.Combine(RunFolder.NewFolder("help-bpm"), "model.bpm");
        Assert.Equal(0, CliRunner.Run("", "convert", "--model", SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"), "--output", bpm).Code);
        foreach (string path in new[] { SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"), bpm, SpmModel, s_tokenizerJson.Value })
        {
            var (code, stdout, stderr) = CliRunner.Run("", [command, "--model", path, .. rest]);
            Assert.True(code == 0, $"{command} --model {path}: exit {code}: {stderr}");
            Assert.NotEqual("", stdout);
        }
    }

    [SkippableFact]
    public void StatsAndConvert_SayWhichFamiliesTheyTake_AndRefuseTheOthersNamingTheCommandsThatReadThem()
    {
        string stats = ModelOptionHelp(CliRunner.Run("", "stats", "--help").Stdout);
        Assert.Contains("BytePiece JSON or native (.bpm) only", stats);
        string convert = ModelOptionHelp(CliRunner.Run("", "convert", "--help").Stdout);
        Assert.Contains("SentencePiece .model, to HuggingFace tokenizer.json", convert);
        Assert.Contains("A tokenizer.json is already the portable form", convert);
        foreach (string path in new[] { SpmModel, s_tokenizerJson.Value })
        {
            var (code, stdout, stderr) = CliRunner.Run("", "stats", "hello", "--model", path);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Contains("stats reads BytePiece models only", stderr);
            Assert.Contains("use encode, nbest, entropy or sample", stderr);
            Assert.DoesNotContain(".Load", stderr); // library calls mean nothing on a command line
        }
        string output = Path.Combine(RunFolder.NewFolder("help-convert"), "out.json");
        var refused = CliRunner.Run("", "convert", "--model", s_tokenizerJson.Value, "--output", output);
        Assert.Equal(2, refused.Code);
        Assert.Contains("is a HuggingFace tokenizer.json; convert reads BytePiece models and SentencePiece .model files", refused.Stderr);
        Assert.False(File.Exists(output));
    }

    [SkippableFact]
    public void TheTopLevelHelp_NamesEveryFamily_NotBytePieceAlone()
    {
        var (code, stdout, _) = CliRunner.Run("", "--help");
        Assert.Equal(0, code);
        string description = stdout.Split("Usage:")[0];
        Assert.DoesNotContain("(BytePiece models)", description);
        Assert.Contains("SentencePiece .model", description);
        Assert.Contains("tokenizer.json", description);
    }

    /// <summary>
    /// Train, a real process with stderr a file (as in a log or CI): the model file's path, far longer than 80
    /// columns, is whole on one line of the summary table, and counts of one are singular.
    /// </summary>
    [SkippableFact]
    public void TrainSummary_WithStderrRedirected_KeepsALongPathOnOneLine_AndSaysOneChunk()
    {
        string deep = RunFolder.NewFolder("train-summary");
        for (int i = 0; i < 6; i++) deep = Path.Combine(deep, $"a-folder-name-long-enough-{i}");
        Directory.CreateDirectory(deep);
        string model = Path.Combine(deep, "model.json");
        Assert.True(model.Length > 200, model);
        string corpus = Path.Combine(deep, "corpus.txt");
        File.WriteAllText(corpus, "hello world, hello tokenizer\n"); // one line, one chunk
        var (code, _, stderr) = CliProcess.BashText($"$B train --input {corpus} --vocab-size 300 --output {model} --holdout-every 0 --threads 1 2> {deep}/err.txt; s=$?; cat {deep}/err.txt >&2; exit $s");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(model));
        string[] lines = stderr.Split('\n');
        Assert.Single(lines, line => line.Contains(model, StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', stderr); // no escape codes in a file
        string corpusLine = Assert.Single(lines, line => line.StartsWith("corpus ", StringComparison.Ordinal));
        Assert.Contains(" in 1 chunk (", corpusLine);
        Assert.Contains("(1 thread)", stderr);
        Assert.DoesNotContain(" 1 chunks", stderr);
        Assert.DoesNotContain("1 threads", stderr);
        Assert.DoesNotContain("0.0 s", stderr); // short stages in milliseconds, not "0.0 s"
    }

    [SkippableFact]
    public void Stats_OnATinyInput_PrintsNoRate_ButTheTime()
    {
        var (code, stdout, _) = CliRunner.Run("", "stats", "hello", "--threads", "1");
        Assert.Equal(0, code);
        string time = Assert.Single(stdout.Split('\n'), line => line.StartsWith("time", StringComparison.Ordinal));
        Assert.DoesNotContain("MB/s", time);
        Assert.EndsWith("(1 thread)", time);
    }

    [SkippableFact]
    public void Stats_OnAMegabyteOrMore_PrintsTheRate()
    {
        byte[] input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog\n", 30_000)));
        Assert.True(input.Length >= 1 << 20);
        var (code, stdout, _) = CliRunner.Run(input, "stats");
        Assert.Equal(0, code);
        Assert.Matches(@"\d+\.\d MB/s, \d+\.\d\d M tokens/s", Encoding.UTF8.GetString(stdout));
    }

    /// <summary>The --model entry of a help text, its lines joined (the help wraps long descriptions).</summary>
    private static string ModelOptionHelp(string help)
    {
        string[] lines = help.Split('\n');
        int start = Array.FindIndex(lines, line => line.TrimStart().StartsWith("-m, --model", StringComparison.Ordinal));
        Assert.True(start >= 0, help);
        var entry = new StringBuilder(lines[start].Trim());
        for (int i = start + 1; i < lines.Length && lines[i].Length > 0 && !lines[i].TrimStart().StartsWith('-'); i++)
            entry.Append(' ').Append(lines[i].Trim());
        return entry.ToString();
    }

    /// <summary>encode's summary line on a one-line input: singular counts, no rate for a few bytes (nothing to measure).</summary>
    [Fact]
    public void EncodeSummary_OnOneShortLine_SaysOneChunk_AndShowsNoRate()
    {
        var (code, _, stderr) = CliProcess.BashText("$B encode hello");
        Assert.Equal(0, code);
        string line = stderr.Trim();
        Assert.StartsWith("bytepiece: encoded 5 bytes, 1 chunk, into ", line);
        Assert.DoesNotContain("MB/s", line);
        Assert.DoesNotContain("0.00 s", line);
    }
}
