using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Command-line mistakes: one line on stderr, exit 1, nothing on stdout, and never taken as text.</summary>
public class CliUsageTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    public static TheoryData<string> Commands => new() { "encode", "decode", "nbest", "entropy", "sample", "stats", "info", "convert", "train" };

    [SkippableTheory]
    [MemberData(nameof(Commands))]
    public void AMisspelledOption_IsAnUnknownOption_OnEveryCommand(string command)
    {
        var (code, stdout, stderr) = CliRunner.Run("hi\n", command, "--qiet");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"bytepiece: unknown option '--qiet' (see bytepiece {command} --help)", Assert.Single(stderr.TrimEnd('\n').Split('\n')));
    }

    [SkippableFact]
    public void AnOptionLikeWord_AfterTheTextOrAmongIds_IsStillUnknown()
    {
        Assert.Equal(1, CliRunner.Run("", "encode", "hello", "-x").Code);
        Assert.Equal(1, CliRunner.Run("", "decode", "5", "-7").Code);
        Assert.Equal(1, CliRunner.Run("", "nbest", "-k", "2", "--kk").Code);
    }

    [SkippableFact]
    public void TextThatStartsWithADash_GoesAfterDoubleDash()
    {
        var (code, stdout, stderr) = CliRunner.Run("", "encode", "--model", Model40k, "--quiet", "--", "--qiet");
        Assert.True(code == 0, stderr);
        Assert.Equal(string.Join(' ', SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds("--qiet")) + "\n", stdout);
    }

    [SkippableFact]
    public void AnAtSign_IsText_NotAResponseFile()
    {
        var (code, stdout, _) = CliRunner.Run("", "encode", "@no-such-file", "--model", Model40k, "--quiet");
        Assert.Equal(0, code);
        Assert.Equal(string.Join(' ', SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds("@no-such-file")) + "\n", stdout);
    }

    [SkippableFact]
    public void ParseErrors_AreOneLineOnStderr_NotTheHelpOnStdout()
    {
        foreach (string[] args in new[] { ["encode", "x", "--format", "nope"], ["encode", "a", "b"], ["decode", "--errors"], Array.Empty<string>() })
        {
            var (code, stdout, stderr) = CliRunner.Run("", args);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            string line = Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("bytepiece: ", line);
            Assert.EndsWith(" --help)", line);
        }
        // Asked for, the help still goes to stdout.
        var help = CliRunner.Run("", "encode", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("--max-memory", help.Stdout);
    }

    [SkippableTheory]
    [InlineData("--alpha", "NaN")]
    [InlineData("--alpha", "Infinity")]
    [InlineData("--alpha", "-Infinity")]
    [InlineData("--max-chunk", "NaN")]
    [InlineData("--max-chunk", "Infinity")]
    [InlineData("--max-chunk", "0.1")]
    [InlineData("--max-memory", "NaN")]
    [InlineData("--threads", "0")]
    [InlineData("--threads", "2000000000")]
    [InlineData("--threads", "2e9")]
    [InlineData("--alpha", "abc")]
    public void NonsenseNumbers_AreRefused_Exit1(string option, string value)
    {
        foreach (string? model in new[] { Model40k, SentencePiecePeer.SharedModelPath("test_model.model") })
        {
            var (code, stdout, stderr) = CliRunner.Run("hello\n", "encode", "--model", model, option, value, "--quiet");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Contains(option, Assert.Single(stderr.TrimEnd('\n').Split('\n')));
        }
    }

    [SkippableFact]
    public void AModelPathThatIsADirectory_SaysSo_Exit2()
    {
        var (code, _, stderr) = CliRunner.Run("", "encode", "x", "--model", Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Contains("is a directory", stderr);
    }
}
