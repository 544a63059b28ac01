using System.Text.Json;
using Xunit;
using static BytePiece.Tests.ShardFolder;

namespace BytePiece.Tests;

/// <summary>
/// <c>bytepiece manifest verify</c> names every file that is not as recorded (exit 6); <c>bytepiece manifest
/// merge</c> joins shard sets encoded apart into the manifest one run would write, and refuses mixes and repeats.
/// </summary>
public sealed class CliManifestTests : IDisposable
{
    private readonly ShardFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Encodes the samples into out/ and returns the inputs.</summary>
    private IReadOnlyList<string> EncodeSamples(params string[] options)
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        Succeeds(["encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("out"), "--model", Model40k, "--quiet", .. options]);
        return inputs;
    }

    [SkippableFact]
    public void Verify_PassesOnARunsFolder_AndNamesEveryOutputThatDiffers()
    {
        EncodeSamples();
        var (code, stdout, stderr) = Run("manifest", "verify", _folder.PathOf("out"));
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Matches(@"^bytepiece: .*manifest\.jsonl: 6 shards verified: 6 output files \([0-9,]+ bytes\) as recorded\n$", stderr);
        Assert.Equal("", Run("manifest", "verify", _folder.PathOf("out", "manifest.jsonl"), "--quiet").Stderr);

        byte[] zh = File.ReadAllBytes(_folder.PathOf("out", "zh.ids"));
        zh[^2] = (byte)(zh[^2] == '1' ? '2' : '1');
        File.WriteAllBytes(_folder.PathOf("out", "zh.ids"), zh);
        File.AppendAllText(_folder.PathOf("out", "en.ids"), "1\n");
        File.Delete(_folder.PathOf("out", "code.ids"));
        (code, _, stderr) = Run("manifest", "verify", _folder.PathOf("out"));
        Assert.Equal(6, code);
        string[] lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^bytepiece: output zh\.ids: SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$", lines[0]);
        Assert.Matches(@"^bytepiece: output en\.ids: [0-9,]+ bytes, the manifest says [0-9,]+$", lines[1]);
        Assert.Equal("bytepiece: output code.ids: missing", lines[2]);
        Assert.EndsWith("manifest.jsonl: 3 differences in 3 shards of 6", lines[3]);
    }

    [SkippableFact]
    public void Verify_ChecksTheInputsOnlyWhenAsked()
    {
        IReadOnlyList<string> inputs = EncodeSamples();
        File.AppendAllText(inputs[0], "one more line\n");
        Assert.Equal(0, Run("manifest", "verify", _folder.PathOf("out")).Code);
        var (code, _, stderr) = Run("manifest", "verify", _folder.PathOf("out"), "--inputs");
        Assert.Equal(6, code);
        Assert.StartsWith("bytepiece: input ../in/zh.txt: ", stderr);
    }

    [SkippableFact]
    public void Verify_RefusesAManifestCutShort_OrMissing()
    {
        EncodeSamples();
        string manifest = _folder.PathOf("out", "manifest.jsonl");
        File.AppendAllText(manifest, "{\"input\": {\"pa");
        var (code, _, stderr) = Run("manifest", "verify", manifest);
        Assert.Equal(3, code);
        Assert.Contains("ends in a line cut short: the run that wrote it was stopped", stderr);
        var missing = Run("manifest", "verify", _folder.PathOf("nowhere"));
        Assert.Equal(4, missing.Code);
        Assert.Contains("manifest not found", missing.Stderr);
    }

    [SkippableFact]
    public void Merge_OfShardSetsEncodedApart_IsTheManifestOfOneRun()
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        Succeeds("encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("one"), "--model", Model40k, "--quiet");
        // Two "machines", each with its own manifest for the same output folder.
        string parts = _folder.PathOf("apart", ".parts");
        Succeeds("encode", "--input-list", _folder.List(inputs.Take(4), "first.txt"), "--output-dir", _folder.PathOf("apart"), "--manifest", Path.Combine(parts, "a.jsonl"), "--model", Model40k, "--quiet");
        Succeeds("encode", "--input-list", _folder.List(inputs.Skip(4), "second.txt"), "--output-dir", _folder.PathOf("apart"), "--manifest", Path.Combine(parts, "b.jsonl"), "--model", Model40k, "--quiet");
        var (code, _, stderr) = Run("manifest", "merge", Path.Combine(parts, "a.jsonl"), Path.Combine(parts, "b.jsonl"), "-o", _folder.PathOf("apart"));
        Assert.True(code == 0, stderr);
        Assert.EndsWith($"merged 2 manifests, 6 shards, into {_folder.PathOf("apart", "manifest.jsonl")}\n", stderr);
        Assert.Equal(ShardFolder.Timeless(_folder.PathOf("one", "manifest.jsonl")), ShardFolder.Timeless(_folder.PathOf("apart", "manifest.jsonl")));
        ShardFolder.AssertSameFiles(ShardFolder.Files(_folder.PathOf("one"), except: "manifest.jsonl"),
            new(ShardFolder.Files(_folder.PathOf("apart"), except: "manifest.jsonl").Where(f => !f.Key.StartsWith(".parts", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal));

        // Merged elsewhere, the paths lead to the same files.
        Succeeds("manifest", "merge", _folder.PathOf("apart"), "-o", _folder.PathOf("elsewhere", "deeper", "all.jsonl"), "--quiet");
        JsonElement first = ShardFolder.Entries(_folder.PathOf("elsewhere", "deeper", "all.jsonl"))[0];
        Assert.Equal("../../in/zh.txt", first.GetProperty("input").GetProperty("path").GetString());
        Assert.Equal("../../apart/zh.ids", first.GetProperty("outputs")[0].GetProperty("path").GetString());
        Succeeds("manifest", "verify", _folder.PathOf("elsewhere", "deeper", "all.jsonl"), "--inputs");
    }

    [SkippableFact]
    public void Merge_RefusesAMixOfModelsOrOptions_NamingBoth()
    {
        string a = _folder.Add("a.txt", "first\n"), b = _folder.Add("b.txt", "second\n");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("a"), "--model", Model40k, "--quiet");
        Succeeds("encode", "--input", b, "--output-dir", _folder.PathOf("b"), "--model", Model40k, "--format", "bin32", "--quiet");
        Succeeds("encode", "--input", b, "--output-dir", _folder.PathOf("c"), "--quiet");
        var options = Run("manifest", "merge", _folder.PathOf("a"), _folder.PathOf("b"), "-o", _folder.PathOf("all.jsonl"));
        Assert.Equal(3, options.Code);
        Assert.Contains($"shards encoded with different options cannot be mixed: --format ids in {_folder.PathOf("a", "manifest.jsonl")} (shard ../in/a.txt), --format bin32 in {_folder.PathOf("b", "manifest.jsonl")} (shard ../in/b.txt)", options.Stderr);
        var model = Run("manifest", "merge", _folder.PathOf("a"), _folder.PathOf("c"), "-o", _folder.PathOf("all.jsonl"));
        Assert.Equal(3, model.Code);
        Assert.Contains("shards encoded with a different model cannot be mixed", model.Stderr);
        Assert.False(File.Exists(_folder.PathOf("all.jsonl")));
    }

    [SkippableFact]
    public void Merge_RefusesAShardListedTwice()
    {
        string a = _folder.Add("a.txt", "first\n");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("x"), "--model", Model40k, "--quiet");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("y"), "--model", Model40k, "--quiet");
        var same = Run("manifest", "merge", _folder.PathOf("x"), _folder.PathOf("x"), "-o", _folder.PathOf("all.jsonl"));
        Assert.Equal(3, same.Code);
        Assert.Contains("is encoded twice", same.Stderr);
        var twice = Run("manifest", "merge", _folder.PathOf("x"), _folder.PathOf("y"), "-o", _folder.PathOf("all.jsonl"));
        Assert.Equal(3, twice.Code);
        Assert.Contains($"input {a} is encoded twice (in {_folder.PathOf("x", "manifest.jsonl")} and {_folder.PathOf("y", "manifest.jsonl")})", twice.Stderr);
    }
}
