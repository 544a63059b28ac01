using System.Diagnostics;
using Xunit;
using static BytePiece.Tests.ShardFolder;

namespace BytePiece.Tests;

/// <summary>
/// A shard run stopped as a cluster stops it: killed (SIGKILL, nothing can clean up) and started again it ends
/// with the manifest of a run never stopped; stopped with SIGTERM it exits 130 with a whole manifest and no
/// temporary file.
/// </summary>
public sealed class CliShardRunSignalTests : IDisposable
{
    private const int Shards = 12;

    private readonly ShardFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Shards of about 2 MB of real English each (the novel repeated), so that a run takes seconds.</summary>
    private string ListOfShards()
    {
        byte[] novel = File.ReadAllBytes(SharedFolder.SentencePieceFilePath("botchan.txt"));
        var inputs = new List<string>();
        for (int i = 0; i < Shards; i++)
        {
            using var content = new MemoryStream();
            content.Write(System.Text.Encoding.UTF8.GetBytes($"shard {i}\n"));
            for (int k = 0; k < 8; k++) content.Write(novel);
            inputs.Add(_folder.Add($"part-{i:D2}.txt", content.ToArray()));
        }
        return _folder.List(inputs);
    }

    private static Process Start(string list, string output)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "bytepiece.dll"), "encode", "--input-list", list,
            "--output-dir", output, "--model", Model40k, "--format", "bin32", "--threads", "1"])
        { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        return Process.Start(psi)!;
    }

    private static void RunToEnd(string list, string output)
    {
        using Process process = Start(list, output);
        _ = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the run did not finish");
        Assert.True(process.ExitCode == 0, stderr);
    }

    /// <summary>Waits until the run's manifest has a line: at least one shard done.</summary>
    private static int WaitForAShardDone(Process process, string manifest)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            int lines = File.Exists(manifest) ? File.ReadAllLines(manifest).Length : 0;
            if (lines > 0) return lines;
            Thread.Sleep(10);
        }
        Assert.Fail("no shard was done within a minute, or the run ended first");
        return 0;
    }

    [SkippableFact]
    public void AKilledRun_StartedAgain_EndsWithTheManifestOfARunNeverStopped()
    {
        string list = ListOfShards();
        RunToEnd(list, _folder.PathOf("whole"));
        string killed = _folder.PathOf("killed"), manifest = Path.Combine(killed, "manifest.jsonl");
        using (Process process = Start(list, killed))
        {
            _ = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            WaitForAShardDone(process, manifest);
            process.Kill();
            Assert.True(process.WaitForExit(10_000));
        }
        int done = File.ReadAllLines(manifest).Length;
        Assert.InRange(done, 1, Shards - 1); // stopped part way
        using (Process again = Start(list, killed))
        {
            _ = again.StandardOutput.ReadToEndAsync();
            string stderr = again.StandardError.ReadToEnd();
            Assert.True(again.WaitForExit(120_000));
            Assert.Equal(0, again.ExitCode);
            Assert.Contains($"({done} already done)", stderr);
        }
        Assert.Equal(ShardFolder.Timeless(_folder.PathOf("whole", "manifest.jsonl")), ShardFolder.Timeless(manifest));
        ShardFolder.AssertSameFiles(ShardFolder.Files(_folder.PathOf("whole"), except: "manifest.jsonl"), ShardFolder.Files(killed, except: "manifest.jsonl"));
        Assert.Empty(ShardFolder.Temporaries(killed));
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ARunStoppedBySigterm_Exits130_WithAWholeManifestAndNoTemporaryFile()
    {
        string list = ListOfShards();
        string output = _folder.PathOf("out"), manifest = Path.Combine(output, "manifest.jsonl");
        using Process process = Start(list, output);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        WaitForAShardDone(process, manifest);
        using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(130, process.ExitCode);
        int done = File.ReadAllLines(manifest).Length;
        Assert.InRange(done, 1, Shards - 1);
        Assert.Equal($"bytepiece: interrupted; {done} of {Shards} shards done and recorded in {manifest} (the same command encodes the rest)\n", stderr.Result);
        Assert.EndsWith("\n", File.ReadAllText(manifest));
        Assert.Empty(ShardFolder.Temporaries(output));
        Assert.Equal(done + 1, Directory.GetFiles(output).Length); // the outputs of the shards done, and the manifest
    }
}
