using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary><c>--max-memory</c> holds inside one huge line too: the memory is read on a timer, not once per so many parts.</summary>
public class CliMemoryGuardTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private static string SpmModel => SentencePiecePeer.SharedModelPath("test_model.model");

    [SkippableTheory]
    [InlineData("1")]
    [InlineData("1K")]
    [InlineData("10M")]
    public void ALimitBelowWhatTheLoadedProcessUses_IsRefusedAtOnce(string limit)
    {
        var (code, stdout, stderr) = CliRunner.Run("", "encode", "hello", "--model", Model40k, "--max-memory", limit);
        Assert.Equal(5, code);
        Assert.Equal("", stdout);
        Assert.Contains("before reading any input", Assert.Single(stderr.TrimEnd('\n').Split('\n')));
        Assert.Equal(0, CliRunner.Run("", "encode", "hello", "--model", Model40k, "--max-memory", "64G", "--quiet").Code);
    }

    /// <summary>
    /// Each input, encoded without a limit, takes far more than the limit given here (measured: 20 MB of
    /// U+0301 +410 MB, a 12 MB line with a .model +440 MB over a run of "hello"): each must stop with exit 5,
    /// one line, and no output file, in a real process (one .model sentence is not cancellable: the guard
    /// stops the process).
    /// </summary>
    [SkippableTheory]
    [InlineData("marks", 100)]
    [InlineData("spm", 100)]
    public void AHugeLine_PastTheLimit_StopsTheRun_Exit5_NoOutputFile(string kind, int headroomMiB)
    {
        string dir = Directory.CreateTempSubdirectory("bp-memory").FullName;
        try
        {
            string input = Path.Combine(dir, "input.txt"), output = Path.Combine(dir, "out.ids");
            string text = kind switch
            {
                "marks" => "a" + new string('\u0301', 10_000_000),
                _ => string.Concat(Enumerable.Repeat("hello world ", 1_000_000)),
            };
            File.WriteAllText(input, text);
            string model = kind == "spm" ? SpmModel : Model40k;
            long baseline = CliProcess.PeakMemory($"encode hello --model {model} --quiet");
            long limit = baseline + ((long)headroomMiB << 20);
            var (code, stdout, stderr) = CliProcess.BashText($"$B encode --model {model} --input {input} --output {output} --quiet --max-memory {limit}; echo $?");
            Assert.Equal("5\n", stdout);
            Assert.Contains("more than --max-memory", Assert.Single(stderr.TrimEnd('\n').Split('\n')));
            Assert.Equal(["input.txt"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A 42 MB line with a BytePiece model streams in bounded memory: a limit 64 MiB above the loaded process holds it.</summary>
    [SkippableFact]
    public void AHugeLine_StreamsUnderALimitJustAboveTheLoadedProcess()
    {
        string dir = Directory.CreateTempSubdirectory("bp-memory").FullName;
        try
        {
            string input = Path.Combine(dir, "input.txt"), output = Path.Combine(dir, "out.ids");
            File.WriteAllText(input, string.Concat(Enumerable.Repeat("hello world ", 3_500_000)));
            long limit = CliProcess.PeakMemory($"encode hello --model {Model40k} --quiet") + (64L << 20);
            var (_, stdout, stderr) = CliProcess.BashText($"$B encode --model {Model40k} --input {input} --output {output} --quiet --max-memory {limit}; echo $?");
            Assert.Equal("0\n", stdout);
            Assert.Equal("", stderr);
            Assert.True(new FileInfo(output).Length > 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
