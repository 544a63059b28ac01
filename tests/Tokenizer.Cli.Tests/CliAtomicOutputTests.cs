using System.Diagnostics;
using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Replacing an output file changes its content only: mode, symlinks and hard links survive, the input is
/// never the output, and a temporary file left by a killed run is cleaned up by the next one.
/// </summary>
public sealed class CliAtomicOutputTests : IDisposable
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private readonly string _dir = Directory.CreateTempSubdirectory("bp-atomic").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static string Expected(string text) => string.Join(' ', SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds(text)) + "\n";

    private static void Encode(string text, string output)
    {
        var (code, _, stderr) = CliRunner.Run("", "encode", text, "--model", Model40k, "--quiet", "--output", output);
        Assert.True(code == 0, stderr);
    }

    private static void HardLink(string existing, string name)
    {
        using var ln = Process.Start("ln", [existing, name])!;
        Assert.True(ln.WaitForExit(10_000) && ln.ExitCode == 0);
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheFilesModeIsKept()
    {
        string output = PathOf("out.ids");
        File.WriteAllText(output, "old");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Encode("hello", output);
        Assert.Equal(Expected("hello"), File.ReadAllText(output));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(output));
    }

    [SkippableFact]
    public void ASymlinkStaysALink_AndItsTargetIsReplaced()
    {
        string target = PathOf("real.ids"), link = PathOf("link.ids");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, "real.ids");
        Encode("hello", link);
        Assert.Equal("real.ids", new FileInfo(link).LinkTarget);
        Assert.Equal(Expected("hello"), File.ReadAllText(target));
        Assert.Equal(2, Directory.GetFiles(_dir).Length); // no temporary file left
    }

    [SkippableFact]
    public void AHardLinkedFile_IsWrittenInPlace_SoEveryNameSeesTheNewContent()
    {
        string first = PathOf("a.ids"), second = PathOf("b.ids");
        File.WriteAllText(first, "old content, longer than the new");
        HardLink(first, second);
        Encode("hi", first);
        Assert.Equal(Expected("hi"), File.ReadAllText(first));
        Assert.Equal(Expected("hi"), File.ReadAllText(second));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [SkippableFact]
    public void TheInputAsTheOutput_IsRefused_UnderAnyName()
    {
        string input = PathOf("text.txt");
        File.WriteAllText(input, "hello world\n");
        File.CreateSymbolicLink(PathOf("link.txt"), input);
        HardLink(input, PathOf("hard.txt"));
        foreach (string output in new[] { input, Path.Combine(_dir, ".", "text.txt"), PathOf("link.txt"), PathOf("hard.txt") })
        {
            foreach (string command in new[] { "encode", "decode" })
            {
                var (code, stdout, stderr) = CliRunner.Run("", command, "--model", Model40k, "--input", input, "--output", output);
                Assert.Equal(1, code);
                Assert.Equal("", stdout);
                Assert.Contains("is the input file", stderr);
                Assert.Equal("hello world\n", File.ReadAllText(input));
            }
        }
    }

    [SkippableFact]
    public void ATemporaryFileOfAKilledRun_IsNamedForItsProcess_AndRemovedByTheNextRun()
    {
        string input = PathOf("big.txt"), output = PathOf("ids.bin");
        byte[] line = SharedData.LongLine("en", 1 << 20);
        using (var file = File.Create(input)) for (int i = 0; i < 200; i++) file.Write(line);
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "bytepiece.dll"), "encode", "--model", Model40k, "--input", input, "--output", output, "--format", "bin32", "--quiet"])
        { UseShellExecute = false, RedirectStandardError = true };
        string temp;
        using (var process = Process.Start(psi)!)
        {
            string? found = null;
            var clock = Stopwatch.StartNew();
            while ((found = Directory.GetFiles(PathOf(""), $".ids.bin.bytepiece-tmp-{process.Id}-*").FirstOrDefault()) is null && clock.ElapsedMilliseconds < 20_000) Thread.Sleep(20);
            Assert.True(found is not null, "the run wrote no temporary file named for its process");
            temp = found;
            process.Kill();
            Assert.True(process.WaitForExit(10_000));
        }
        Assert.True(File.Exists(temp)); // SIGKILL: nothing could clean it
        string alive = PathOf($".ids.bin.bytepiece-tmp-1"); // a running process's (init) is never touched
        File.WriteAllText(alive, "");
        // In a container a dead run may have had this process's id: its file is not this process's, so it goes too.
        string samePid = PathOf($".ids.bin.bytepiece-tmp-{Environment.ProcessId}-1-0badf00d");
        File.WriteAllText(samePid, "");
        Encode("hello", output);
        Assert.False(File.Exists(temp));
        Assert.False(File.Exists(samePid));
        Assert.True(File.Exists(alive));
        Assert.Equal(Expected("hello"), File.ReadAllText(output));
    }

    [SkippableFact]
    public void ARegularFileUnderDev_IsReplacedWhole_NewOrLonger()
    {
        // /dev/shm holds regular files: only devices, pipes and links under /dev are written in place.
        Skip.IfNot(Directory.Exists("/dev/shm"), "no /dev/shm on this system");
        string output = $"/dev/shm/bytepiece-test-{Guid.NewGuid():N}.ids";
        try
        {
            Encode("hello", output);
            Assert.Equal(Expected("hello"), File.ReadAllText(output));
            File.WriteAllText(output, new string('9', 10_000));
            Encode("hello", output);
            Assert.Equal(Expected("hello"), File.ReadAllText(output));
        }
        finally
        {
            File.Delete(output);
        }
    }
}
