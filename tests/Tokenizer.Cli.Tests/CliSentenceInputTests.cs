using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>A .model or tokenizer.json reads input as strictly as a BytePiece model, and its pieces lines stay lines.</summary>
public class CliSentenceInputTests
{
    private static string SpmModel => SentencePiecePeer.SharedModelPath("test_model.model");

    private static readonly Lazy<string> s_tokenizerJson = new(() =>
    {
        string path = Path.Combine(RunFolder.NewFolder("tokenizer-json"), "tokenizer.json");
        Assert.Equal(0, CliRunner.Run("", "convert", "--model", SpmModel, "--output", path).Code);
        return path;
    });

    public static TheoryData<string> Models => new() { "spm", "tokenizer.json" };

    private static string PathOf(string kind) => kind == "spm" ? SpmModel : s_tokenizerJson.Value;

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void InvalidUtf8_Exit3_WithTheByteOffset_UnlessRaw(string kind)
    {
        byte[] input = [.. "first line\nab"u8, 0xFF, .. "c\n"u8];
        var (code, stdout, stderr) = CliRunner.Run(input, "encode", "--model", PathOf(kind), "--quiet");
        Assert.Equal(3, code);
        Assert.Empty(stdout);
        Assert.Contains("not valid UTF-8 at byte 13", stderr);
        var raw = CliRunner.Run(input, "encode", "--model", PathOf(kind), "--quiet", "--raw");
        Assert.Equal(0, raw.Code);
        Assert.Equal(2, Encoding.UTF8.GetString(raw.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [SkippableFact]
    public void InvalidUtf8_InALaterBlock_HasItsOffsetInTheWholeInput()
    {
        byte[] line = Encoding.UTF8.GetBytes(new string('a', 999) + "\n");
        var input = new MemoryStream();
        for (int i = 0; i < 3000; i++) input.Write(line); // 3 MB: past the first 1 MiB block
        input.WriteByte(0xC3);
        var (code, _, stderr) = CliRunner.Run(input.ToArray(), "encode", "--model", SpmModel, "--quiet");
        Assert.Equal(3, code);
        Assert.Contains("at byte 3000000", stderr);
    }

    /// <summary>
    /// A .model or tokenizer.json over an input of several 1 MiB blocks (so two threads encode blocks at once),
    /// sampled: two threads write what one writes, in ids, bin32 and jsonl, a line of output per line of input.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void TwoThreads_OverManyBlocks_WriteWhatOneWrites_InEveryIdFormat(string kind)
    {
        byte[] novel = File.ReadAllBytes(SentencePiecePeer.SharedModelPath("botchan.txt"));
        var input = new MemoryStream();
        for (int k = 0; k < 10; k++) input.Write(novel); // 2.8 MB
        string[] sampled = ["--alpha", "0.2", "--seed", "11", "--quiet"];
        var one = CliRunner.Run(input.ToArray(), ["encode", "--model", PathOf(kind), "--threads", "1", .. sampled]);
        Assert.True(one.Code == 0, one.Stderr);
        string[] lines = Encoding.UTF8.GetString(one.Stdout).Split('\n')[..^1];
        Assert.Equal(novel.Count(b => b == (byte)'\n') * 10, lines.Length);
        Assert.Equal(one.Stdout, CliRunner.Run(input.ToArray(), ["encode", "--model", PathOf(kind), "--threads", "2", .. sampled]).Stdout);
        int[] ids = [.. lines.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse)];
        var bin32 = CliRunner.Run(input.ToArray(), ["encode", "--model", PathOf(kind), "--threads", "2", "--format", "bin32", .. sampled]);
        Assert.Equal(ids, Enumerable.Range(0, bin32.Stdout.Length / 4).Select(k => BitConverter.ToInt32(bin32.Stdout, 4 * k)));
        var jsonl = CliRunner.Run(input.ToArray(), ["encode", "--model", PathOf(kind), "--threads", "2", "--format", "jsonl", .. sampled]);
        string[] objects = Encoding.UTF8.GetString(jsonl.Stdout).Split('\n')[..^1];
        Assert.Equal(lines, objects.Select(o => string.Join(' ', System.Text.Json.JsonDocument.Parse(o).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()))));
    }

    [SkippableFact]
    public void Pieces_ShowControlCharactersAsBytes_SoALineStaysALine()
    {
        var (code, stdout, _) = CliRunner.Run("ab\r\0c\nxy\n", "encode", "--model", SpmModel, "--format", "pieces", "--quiet");
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain('\r', stdout);
        Assert.DoesNotContain('\0', stdout);
        Assert.Contains("<0x0D>", lines[0]);
        Assert.Contains("<0x00>", lines[0]);
    }
}
