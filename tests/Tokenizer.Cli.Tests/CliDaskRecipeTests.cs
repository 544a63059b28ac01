using System.Diagnostics;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The Dask recipe (samples/cluster/dask_encode_shards.py) on a LocalCluster of two worker processes, one
/// thread each, standing in for a cluster: it writes, byte for byte, the outputs and (but for the time fields)
/// the manifest of a one-process shard run, and a failed shard fails it with that shard's error and exit code.
/// </summary>
public sealed class CliDaskRecipeTests : IDisposable
{
    private readonly ShardFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Recipe => Path.Combine(SharedFolder.RepositoryRoot, "samples", "cluster", "dask_encode_shards.py");

    private static (int Code, string Stderr) RunRecipe(string list, string output, params string[] encodeOptions)
    {
        Prerequisites.Require(Prerequisite.DaskDistributed);
        var psi = new ProcessStartInfo("/usr/bin/python3", [Recipe, "--shards", list, "--output-dir", output, "--workers", "2", "--bytepiece", CliProcess.Command, "--", .. encodeOptions])
        { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        _ = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "the recipe did not finish within two minutes");
        return (process.ExitCode, stderr.Result);
    }

    /// <summary>The files of a run's folder but for the manifest and the recipe's task manifests.</summary>
    private static SortedDictionary<string, byte[]> Outputs(string folder)
        => new(ShardFolder.Files(folder, except: "manifest.jsonl").Where(f => !f.Key.StartsWith(".parts", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);

    [SkippableFact]
    public void TheRecipe_OnTwoWorkerProcesses_WritesWhatAOneProcessShardRunWrites()
    {
        Prerequisites.Require(Prerequisite.DaskDistributed);
        string list = _folder.List(_folder.AddSamples());
        string[] options = ["--format", "bin16", "--eos"];
        var (code, _, stderr) = CliRunner.Run("", ["encode", "--input-list", list, "--output-dir", _folder.PathOf("one"), "--quiet", .. options]);
        Assert.True(code == 0, stderr);

        var dask = RunRecipe(list, _folder.PathOf("dask"), options);
        Assert.True(dask.Code == 0, dask.Stderr);
        ShardFolder.AssertSameFiles(Outputs(_folder.PathOf("one")), Outputs(_folder.PathOf("dask")));
        Assert.Equal(6, Outputs(_folder.PathOf("dask")).Count);
        Assert.Equal(ShardFolder.Timeless(_folder.PathOf("one", "manifest.jsonl")), ShardFolder.Timeless(_folder.PathOf("dask", "manifest.jsonl")));
        Assert.Equal(6, Directory.GetFiles(_folder.PathOf("dask", ".parts")).Length); // a manifest per task, kept for a rerun
        Assert.Empty(ShardFolder.Temporaries(_folder.PathOf("dask")));
    }

    [SkippableFact]
    public void AFailedShard_FailsTheRecipeWithItsErrorAndExitCode_AndARunAgainFinishesTheRest()
    {
        Prerequisites.Require(Prerequisite.DaskDistributed);
        string good = _folder.Add("good.txt", "good text\n"), bad = _folder.Add("bad.txt", [.. "ok\nab"u8, 0xFF, .. "cd\n"u8]), other = _folder.Add("other.txt", "其他\n");
        string list = _folder.List([good, bad, other]);
        var (code, stderr) = RunRecipe(list, _folder.PathOf("dask"));
        Assert.Equal(3, code);
        Assert.Contains($"bytepiece: shard {bad}: input is not valid UTF-8 at byte 5 (use --raw to encode bytes as they are)\n", stderr);
        Assert.Contains("dask_encode_shards: 1 of 3 shards failed; the others are done (run again to finish)", stderr);
        Assert.False(File.Exists(_folder.PathOf("dask", "manifest.jsonl")));
        Assert.Equal(["good.ids", "other.ids"], Outputs(_folder.PathOf("dask")).Keys);
        Assert.Empty(ShardFolder.Temporaries(_folder.PathOf("dask")));

        File.WriteAllText(bad, "ok\nfixed\n");
        (code, stderr) = RunRecipe(list, _folder.PathOf("dask"));
        Assert.True(code == 0, stderr);
        var one = CliRunner.Run("", "encode", "--input-list", list, "--output-dir", _folder.PathOf("one"), "--quiet");
        Assert.True(one.Code == 0, one.Stderr);
        ShardFolder.AssertSameFiles(Outputs(_folder.PathOf("one")), Outputs(_folder.PathOf("dask")));
        Assert.Equal(ShardFolder.Timeless(_folder.PathOf("one", "manifest.jsonl")), ShardFolder.Timeless(_folder.PathOf("dask", "manifest.jsonl")));
    }
}
