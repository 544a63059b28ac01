using System.Text;
using BytePiece.Cli;
using Xunit;

namespace BytePiece.Tests;

/// <summary>The <c>bytepiece</c> command, run in-process with its standard streams redirected.</summary>
public class CliTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private static (int Code, byte[] Stdout, string Stderr) Run(byte[] stdin, params string[] args) => CliRunner.Run(stdin, args);

    private static (int Code, string Stdout, string Stderr) Run(string stdin, params string[] args) => CliRunner.Run(stdin, args);

    [SkippableFact]
    public void Encode_TextArgument_PrintsIdsOneLinePerChunk()
    {
        string text = "hello world\n\nsecond line";
        var (code, stdout, stderr) = Run("", "encode", text, "--model", Model40k, "--quiet");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string expected = string.Join(" ", tokenizer.EncodeToIds("hello world\n\n")) + "\n" + string.Join(" ", tokenizer.EncodeToIds("second line")) + "\n";
        Assert.Equal(expected, stdout);
    }

    [SkippableFact]
    public void Encode_Stdin_EqualsLibrary_ForRealTextAcrossBlocks()
    {
        byte[] corpus = SharedData.Corpus("zh", 3 << 20); // larger than one 1 MiB read block
        var (code, stdout, _) = Run(corpus, "encode", "--model", Model40k);
        Assert.Equal(0, code);
        var ids = Encoding.UTF8.GetString(stdout).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        Assert.Equal(SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds(Encoding.UTF8.GetString(corpus)), ids);
    }

    [SkippableFact]
    public void Encode_Pieces_BosEos()
    {
        var (code, stdout, _) = Run("", "encode", "a b", "--model", Model40k, "--format", "pieces", "--bos", "--eos");
        Assert.Equal(0, code);
        Assert.StartsWith("<bos> ", stdout);
        Assert.EndsWith(" <eos>\n", stdout);
        Assert.Contains("▁b", stdout);
    }

    [SkippableFact]
    public void Encode_InvalidUtf8_FailsWithOffset_UnlessRaw()
    {
        byte[] input = [.. "abc\n"u8, 0xFF, .. "x\n"u8];
        var (code, _, stderr) = Run(input, "encode", "--model", Model40k);
        Assert.Equal(3, code);
        Assert.Contains("byte 4", stderr);
        var raw = Run(input, "encode", "--model", Model40k, "--raw");
        Assert.Equal(0, raw.Code);
        var ids = Encoding.UTF8.GetString(raw.Stdout).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(input, SharedData.Tokenizer("bytepiece.eu.plus.40k.model").DecodeBytes(ids));
    }

    [SkippableFact]
    public void Decode_RoundTripsEncode()
    {
        string text = "广州的白云机场\nCafé ☕ and 😀\n\n";
        var encoded = Run(text, "encode", "--model", Model40k);
        var decoded = Run(encoded.Stdout, "decode", "--model", Model40k);
        Assert.Equal(0, decoded.Code);
        Assert.Equal(text, decoded.Stdout);
    }

    [SkippableFact]
    public void Decode_BadIds_AreClearErrors()
    {
        var notNumber = Run("5 x 7", "decode", "--model", Model40k);
        Assert.Equal(3, notNumber.Code);
        Assert.Contains("\"x\"", notNumber.Stderr);
        var unknown = Run("5 99999999", "decode", "--model", Model40k);
        Assert.Equal(3, unknown.Code);
        Assert.Contains("99999999", unknown.Stderr);
    }

    [Fact]
    public void Decode_Strict_OnIdsThatSpellInvalidUtf8_NamesTheOutputByte_NotEncodesAdvice()
    {
        var encoded = CliRunner.Run(new byte[] { (byte)'a', (byte)'b', 0xFF, (byte)'c', (byte)'\n' }, "encode", "--raw");
        Assert.Equal(0, encoded.Code);
        var strict = Run(Encoding.UTF8.GetString(encoded.Stdout), "decode", "--errors", "strict");
        Assert.Equal(3, strict.Code);
        Assert.Contains("the ids decode to invalid UTF-8 at byte 2 of the output", strict.Stderr);
        Assert.DoesNotContain("to encode bytes", strict.Stderr);
        var replaced = Run(Encoding.UTF8.GetString(encoded.Stdout), "decode");
        Assert.Equal(0, replaced.Code);
        Assert.Equal("ab\uFFFDc\n", replaced.Stdout);
    }

    [SkippableFact]
    public void MissingOrCorruptModel_ExitsWithCode2()
    {
        var missing = Run("", "encode", "x", "--model", "/nonexistent/model.json");
        Assert.Equal(2, missing.Code);
        Assert.Contains("not found", missing.Stderr);
        string bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(bad, "{\"YWI=\": [300");
            var corrupt = Run("", "encode", "x", "--model", bad);
            Assert.Equal(2, corrupt.Code);
            Assert.Single(corrupt.Stderr.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [SkippableFact]
    public void Convert_JsonToNative_AndOutputFilesAreAtomic()
    {
        string dir = Directory.CreateTempSubdirectory("bp-cli").FullName;
        try
        {
            string native = Path.Combine(dir, "model.bpm");
            var convert = Run("", "convert", "--model", Model40k, "--output", native);
            Assert.Equal(0, convert.Code);
            string outFile = Path.Combine(dir, "ids.txt");
            Assert.Equal(0, Run("", "encode", "same ids", "--model", native, "--output", outFile).Code);
            Assert.Equal(Run("", "encode", "same ids", "--model", Model40k).Stdout, File.ReadAllText(outFile));

            // A failing run (invalid input) leaves the earlier output as it was and no temporary file.
            var failed = Run([0xFF], "encode", "--model", native, "--output", outFile);
            Assert.Equal(3, failed.Code);
            Assert.Equal(Run("", "encode", "same ids", "--model", Model40k).Stdout, File.ReadAllText(outFile));
            Assert.Equal(2, Directory.GetFiles(dir).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void UnreadableInput_ExitsWithIoError_AndWritesNoOutput()
    {
        string outFile = Path.Combine(Path.GetTempPath(), $"bytepiece-unreadable-{Guid.NewGuid():N}.txt");
        // A directory, and a file whose read fails (even for root).
        foreach (string input in new[] { Path.GetTempPath(), "/proc/self/mem" })
        {
            var (code, _, stderr) = Run("", "encode", "--model", Model40k, "--input", input, "--output", outFile);
            Assert.Equal(4, code);
            Assert.StartsWith("bytepiece: ", stderr);
            Assert.Contains(input.TrimEnd('/'), stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.False(File.Exists(outFile));
        }
    }

    [SkippableFact]
    public void UsageErrors_ExitWithCode1()
    {
        Assert.Equal(1, Run("", "encode", "x", "--no-such-option").Code);
        Assert.Equal(1, Run("", "encode", "x", "--model", Model40k, "--format", "nope").Code);
        Assert.Equal(1, Run("", "encode", "x", "--model", Model40k, "--input", "f").Code);
    }
}

/// <summary>Sampling, n-best and entropy from the command line.</summary>
public class CliSamplingTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private static (int Code, string Stdout, string Stderr) Run(byte[] stdin, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(stdin, args);
        return (code, Encoding.UTF8.GetString(stdout), stderr);
    }

    [SkippableFact]
    public void EncodeWithAlphaAndSeed_StreamedInput_EqualsTheLibrarysWholeTextSample()
    {
        byte[] corpus = SharedData.Corpus("en", 1 << 20);
        var (code, stdout, _) = Run(corpus, "encode", "--model", Model40k, "--alpha", "0.1", "--seed", "42");
        Assert.Equal(0, code);
        var ids = stdout.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string text = Encoding.UTF8.GetString(corpus);
        Assert.Equal(tokenizer.EncodeToIds(text, sampling: new SamplingOptions(0.1, 42)), ids);
        Assert.NotEqual(tokenizer.EncodeToIds(text), ids);
    }

    [SkippableFact]
    public void NBest_PrintsKLinesBestFirst_AndEntropyPrintsNatsAndBits()
    {
        var (code, stdout, _) = Run([], "nbest", "watching", "--model", Model40k, "--k", "3", "--format", "pieces");
        Assert.Equal(0, code);
        string[] lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        double[] scores = lines.Select(l => double.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(scores[0] >= scores[1] && scores[1] >= scores[2]);
        Assert.All(lines, l => Assert.Equal("watching", string.Concat(l.Split('\t')[1].Split(' '))));

        var entropy = Run([], "entropy", "watching", "--model", Model40k, "--alpha", "0");
        Assert.Equal(0, entropy.Code);
        double nats = double.Parse(entropy.Stdout.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Math.Log(SharedData.Tokenizer("bytepiece.eu.plus.40k.model").NBest("watching", 1000).Count), nats, 9);
    }

    [SkippableFact]
    public void Sample_WithABytePieceModel_EqualsTheLibrary_AndRefusesTheNBestRegime()
    {
        var (code, stdout, _) = Run([], "sample", "watching", "--model", Model40k, "-n", "4", "--alpha", "0.2", "--seed", "3", "--without-replacement");
        Assert.Equal(0, code);
        var expected = SharedData.Tokenizer("bytepiece.eu.plus.40k.model").SampleEncodeAndScore("watching", new SamplingOptions(0.2, 3), 4, withoutReplacement: true);
        Assert.Equal(expected.Select(s => s.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "\t" + string.Join(" ", s.Ids)), stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal(4, expected.Select(s => string.Join(" ", s.Ids)).Distinct().Count());
        Assert.Equal(1, Run([], "sample", "watching", "--model", Model40k, "--nbest-size", "3").Code);
    }
}

/// <summary>Output formats and threads of <c>bytepiece encode</c>.</summary>
public class CliFormatTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private static (int Code, byte[] Stdout, string Stderr) Run(byte[] stdin, params string[] args) => CliRunner.Run(stdin, args);

    // Read on first use, so that without the corpora only the tests using it are skipped.
    private static readonly Lazy<byte[]> s_corpus = new(() => SharedData.Corpus("zh", 512 << 10));

    private static byte[] Corpus => s_corpus.Value;

    private static IReadOnlyList<int> Expected => SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds(Encoding.UTF8.GetString(Corpus));

    [SkippableFact]
    public void Bin16AndBin32_AreTheIdsLittleEndian_WithBosAndEos()
    {
        var bin16 = Run(Corpus, "encode", "--model", Model40k, "--format", "bin16", "--bos", "--eos");
        var bin32 = Run(Corpus, "encode", "--model", Model40k, "--format", "bin32");
        Assert.Equal(0, bin16.Code);
        int[] ids16 = Enumerable.Range(0, bin16.Stdout.Length / 2).Select(i => (int)BitConverter.ToUInt16(bin16.Stdout, 2 * i)).ToArray();
        int[] ids32 = Enumerable.Range(0, bin32.Stdout.Length / 4).Select(i => BitConverter.ToInt32(bin32.Stdout, 4 * i)).ToArray();
        Assert.Equal([SpecialTokens.BosId, .. Expected, SpecialTokens.EosId], ids16);
        Assert.Equal(Expected, ids32);
    }

    [SkippableFact]
    public void Bin16_RefusesAModelWithMoreThan65536Ids()
    {
        var (code, _, stderr) = Run([], "encode", "x", "--model", SharedData.BytePieceModelPath("bytepiece.eu.plus.160k.model"), "--format", "bin16");
        Assert.Equal(1, code);
        Assert.Contains("bin32", stderr);
    }

    [SkippableFact]
    public void Npy_HasAValidHeaderAndTheIds()
    {
        string dir = Directory.CreateTempSubdirectory("bp-npy").FullName;
        try
        {
            string path = Path.Combine(dir, "ids.npy");
            Assert.Equal(0, Run(Corpus, "encode", "--model", Model40k, "--format", "npy", "--output", path).Code);
            byte[] file = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, file[..8]);
            int headerLength = BitConverter.ToUInt16(file, 8);
            Assert.Equal(0, (10 + headerLength) % 64);
            string header = Encoding.ASCII.GetString(file, 10, headerLength);
            Assert.Contains("'descr': '<u2'", header);
            Assert.Contains($"'shape': ({Expected.Count},)", header);
            Assert.EndsWith("\n", header);
            int[] ids = Enumerable.Range(0, (file.Length - 10 - headerLength) / 2).Select(i => (int)BitConverter.ToUInt16(file, 10 + headerLength + 2 * i)).ToArray();
            Assert.Equal(Expected, ids);
            Assert.Equal(1, Run(Corpus, "encode", "--model", Model40k, "--format", "npy").Code); // stdout is refused
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void Jsonl_IsOneObjectPerChunk_WithBosAndEosAroundEach()
    {
        byte[] text = "first line\nsecond\n\nthird"u8.ToArray();
        var (code, stdout, _) = Run(text, "encode", "--model", Model40k, "--format", "jsonl", "--bos", "--eos");
        Assert.Equal(0, code);
        string[] lines = Encoding.UTF8.GetString(stdout).TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string[] chunks = ["first line\n", "second\n\n", "third"];
        for (int k = 0; k < 3; k++)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(lines[k]);
            var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32());
            Assert.Equal([SpecialTokens.BosId, .. tokenizer.EncodeToIds(chunks[k]), SpecialTokens.EosId], ids);
        }
    }

    [SkippableFact]
    public void Threads_DoNotChangeTheOutput()
    {
        byte[] one = Run(Corpus, "encode", "--model", Model40k, "--threads", "1", "--alpha", "0.1", "--seed", "3").Stdout;
        byte[] two = Run(Corpus, "encode", "--model", Model40k, "--threads", "2", "--alpha", "0.1", "--seed", "3").Stdout;
        byte[] eight = Run(Corpus, "encode", "--model", Model40k, "--threads", "8", "--alpha", "0.1", "--seed", "3").Stdout;
        Assert.Equal(one, two);
        Assert.Equal(one, eight);
    }
}

/// <summary>The summary line, cancellation, and signals delivered to the real process.</summary>
public class CliLifecycleTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    [SkippableFact]
    public void Summary_IsOneLineOnStderr_UnlessQuiet()
    {
        var (code, _, stderr) = CliRunner.Run("hello world\nsecond\n", "encode", "--model", Model40k);
        Assert.Equal(0, code);
        string line = Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("bytepiece: encoded 19 bytes, 2 chunks, into ", line);
        Assert.Equal("", CliRunner.Run("hello", "encode", "--model", Model40k, "--quiet").Stderr);
    }

    [SkippableFact]
    public void Cancellation_ExitsWith130_AndLeavesNoOutputFile()
    {
        string dir = Directory.CreateTempSubdirectory("bp-cancel").FullName;
        try
        {
            string output = Path.Combine(dir, "ids.txt");
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            using var input = new MemoryStream(SharedData.Corpus("en", 1 << 20));
            using var stdout = new MemoryStream();
            using var stderr = new StringWriter();
            int code = CliApp.Run(["encode", "--model", Model40k, "--output", output], input, stdout, stderr, cancelled.Token);
            Assert.Equal(130, code);
            Assert.Contains("interrupted", stderr.ToString());
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableTheory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public void Signal_MidRun_ExitsWith130_AndKeepsTheOldOutput(string signal)
    {
        string dir = Directory.CreateTempSubdirectory("bp-signal").FullName;
        try
        {
            string input = Path.Combine(dir, "big.txt"), output = Path.Combine(dir, "ids.bin");
            byte[] line = SharedData.LongLine("en", 1 << 20);
            using (var file = File.Create(input)) for (int i = 0; i < 200; i++) file.Write(line); // 200 MB: seconds of work
            File.WriteAllText(output, "previous");
            string cli = Path.Combine(AppContext.BaseDirectory, "bytepiece.dll");
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet", ["exec", cli, "encode", "--model", Model40k, "--input", input, "--output", output, "--format", "bin32"])
            { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var process = System.Diagnostics.Process.Start(psi)!;
            Thread.Sleep(1500);
            Assert.False(process.HasExited, "the run finished before the signal: make the input larger");
            System.Diagnostics.Process.Start("kill", [$"-{signal}", process.Id.ToString()])!.WaitForExit();
            Assert.True(process.WaitForExit(30_000));
            Assert.Equal(130, process.ExitCode);
            Assert.Equal("previous", File.ReadAllText(output));
            Assert.Equal(2, Directory.GetFiles(dir).Length); // no temporary file left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary><c>bytepiece stats</c>.</summary>
public class CliStatsTests
{
    [SkippableFact]
    public void Stats_CountsBytesChunksAndTokens()
    {
        byte[] corpus = SharedData.Corpus("zh", 256 << 10);
        var (code, stdout, _) = CliRunner.Run(corpus, "stats", "--model", SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"));
        Assert.Equal(0, code);
        string report = Encoding.UTF8.GetString(stdout);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        int tokens = tokenizer.CountTokens(Encoding.UTF8.GetString(corpus));
        long chunks = Chunker.CountChunks(corpus);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Contains("bytes                 " + corpus.Length.ToString("N0", invariant), report);
        Assert.Contains("chunks                " + chunks.ToString("N0", invariant), report);
        Assert.Contains("tokens                " + tokens.ToString("N0", invariant), report);
        Assert.Contains("tokens per chunk      min ", report);
    }
}

/// <summary>A full disk is a clear error (exit 4), never a silent success or a replaced device.</summary>
public class CliDiskFullTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    [SkippableFact]
    public void OutputToDevFull_FailsWithExitCode4_AndLeavesTheDeviceAlone()
    {
        Assert.True(File.Exists("/dev/full"), "this test needs Linux's /dev/full");
        var (code, _, stderr) = CliRunner.Run(SharedData.Corpus("en", 1 << 20), "encode", "--model", Model40k, "--quiet", "--output", "/dev/full");
        Assert.Equal(4, code);
        Assert.Contains("No space left on device", stderr);
        Assert.Equal(0, new FileInfo("/dev/full").Length); // still the device, not a file written over it
    }

    private sealed class FullStream : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("No space left on device");
        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("No space left on device");
    }

    [SkippableFact]
    public void FullStdout_FailsWithExitCode4()
    {
        using var input = new MemoryStream(SharedData.Corpus("en", 256 << 10));
        using var error = new StringWriter();
        int code = CliApp.Run(["encode", "--model", Model40k, "--quiet"], input, new FullStream(), error);
        Assert.Equal(4, code);
        Assert.Contains("No space left on device", error.ToString());
    }
}
