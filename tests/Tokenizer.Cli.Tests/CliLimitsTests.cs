using System.Text;
using BytePiece.Cli;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Resource limits and an input that shrinks while it is read: one clear line, a documented exit code, no output file.</summary>
public class CliLimitsTests
{
    /// <summary>A seekable input that says it is longer than what it delivers, as a file truncated while it is read.</summary>
    private sealed class ShrinkingStream(byte[] content, long claimedLength) : MemoryStream(content)
    {
        public override long Length => claimedLength;
    }

    private static (int Code, string Stderr, string[] Files) RunInFolder(Stream stdin, Func<string, string[]> args, string? existing = null)
    {
        string dir = Directory.CreateTempSubdirectory("bp-limits").FullName;
        try
        {
            string output = Path.Combine(dir, "out.ids");
            if (existing is not null) File.WriteAllText(output, existing);
            using var stdout = new MemoryStream();
            using var stderr = new StringWriter();
            int code = CliApp.Run(args(output), stdin, stdout, stderr);
            string[] files = Directory.GetFiles(dir).Select(f => Path.GetFileName(f) + "=" + File.ReadAllText(f).Length).ToArray();
            return (code, stderr.ToString(), files);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableTheory]
    [InlineData(null)]
    [InlineData("test_ja_model.model")]
    public void MaxChunk_RefusesALongerLine_Exit5_ExistingOutputUntouched(string? spmModel)
    {
        byte[] text = Encoding.UTF8.GetBytes("short line\n" + new string('a', 300_000) + "\nafter\n");
        string[] Args(string output) => spmModel is null
            ? ["encode", "--input", "-", "--output", output, "--max-chunk", "100K", "--quiet"]
            : ["encode", "--model", SentencePiecePeer.ModelPath(spmModel), "--input", "-", "--output", output, "--max-chunk", "100K", "--quiet"];
        var (code, stderr, files) = RunInFolder(new MemoryStream(text), Args, existing: "old");
        Assert.Equal(5, code);
        Assert.Contains("longer than", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal(["out.ids=3"], files); // the old file, as it was; no temporary file left
        var ok = RunInFolder(new MemoryStream(text), o => [.. Args(o).Select(a => a == "100K" ? "1M" : a)]);
        Assert.Equal(0, ok.Code);
    }

    [SkippableFact]
    public void MaxMemory_BelowWhatTheRunNeeds_Exit5_NoOutputFile()
    {
        var (code, stderr, files) = RunInFolder(new MemoryStream(SharedData.Corpus("zh", 2 << 20)),
            o => ["encode", "--input", "-", "--output", o, "--max-memory", "16M", "--quiet"]);
        Assert.Equal(5, code);
        Assert.Contains("--max-memory", stderr);
        Assert.Empty(files);
    }

    [SkippableTheory]
    [InlineData(null)]
    [InlineData("test_ja_model.model")]
    public void InputThatShrinksWhileRead_IsAnError_NotASilentlyShorterOutput(string? spmModel)
    {
        byte[] text = SharedData.Corpus("en", 200_000);
        var input = new ShrinkingStream(text, claimedLength: text.Length + 5_000);
        var (code, stderr, files) = RunInFolder(input, o => spmModel is null
            ? ["encode", "--output", o, "--quiet"]
            : ["encode", "--model", SentencePiecePeer.ModelPath(spmModel), "--output", o, "--quiet"]);
        Assert.Equal(4, code);
        Assert.Contains("truncated", stderr);
        Assert.Empty(files);
    }

    [SkippableFact]
    public void BadSize_IsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("x", "encode", "--max-chunk", "lots");
        Assert.Equal(1, code);
        Assert.Contains("--max-chunk", stderr);
    }
}
