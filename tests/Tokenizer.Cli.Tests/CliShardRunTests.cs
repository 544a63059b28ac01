using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;
using static BytePiece.Tests.ShardFolder;

namespace BytePiece.Tests;

/// <summary>
/// <c>bytepiece encode --output-dir</c>: an output per input, each the bytes of encoding that input alone, a
/// manifest line per shard, shards already done skipped, failures named, and what cannot be done refused.
/// </summary>
public sealed class CliShardRunTests : IDisposable
{
    private static string SentencePieceModel => SharedFolder.SentencePieceFilePath("test_model.model");

    private readonly ShardFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string[]> Settings => new()
    {
        { "ids", [] },
        { "pieces", ["--bos"] },
        { "bin16", ["--eos"] },
        { "bin32", ["--bos", "--eos"] },
        { "npy", [] },
        { "jsonl", ["--bos", "--eos"] },
        { "ids", ["--alpha", "0.2", "--seed", "7"] },
        { "bin32", ["--raw", "--model", "40k"] },
        { "ids", ["--model", "spm"] },
        { "pieces", ["--model", "spm", "--eos"] },
    };

    private static string[] WithModel(string[] options)
        => [.. options.Select(o => o switch { "40k" => Model40k, "spm" => SentencePieceModel, _ => o })];

    [SkippableTheory]
    [MemberData(nameof(Settings))]
    public void EachShardsOutput_IsTheBytesOfEncodingThatShardAlone(string format, string[] options)
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        string[] settings = ["--format", format, .. WithModel(options)];
        Succeeds(["encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("out"), "--quiet", .. settings]);
        string extension = "." + format;
        foreach (string input in inputs)
        {
            string alone = _folder.PathOf(Path.GetFileNameWithoutExtension(input) + ".alone");
            Succeeds(["encode", "--input", input, "--output", alone, "--quiet", .. settings]);
            string output = _folder.PathOf("out", Path.GetFileNameWithoutExtension(input) + extension);
            Assert.True(File.ReadAllBytes(alone).AsSpan().SequenceEqual(File.ReadAllBytes(output)), $"{output} is not what encoding {input} alone writes");
        }
        Assert.Equal(inputs.Count, File.ReadAllLines(_folder.PathOf("out", "manifest.jsonl")).Length);
    }

    [SkippableTheory]
    [InlineData("--eos")]
    [InlineData("--model", "spm", "--bos", "--eos")]
    public void EachShardsMegatronDataset_IsThePairOfEncodingThatShardAlone_AndTheManifestListsBoth(params string[] options)
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        string[] settings = ["--format", "megatron", .. WithModel(options)];
        Succeeds(["encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("out"), "--quiet", .. settings]);
        foreach (string input in inputs)
        {
            string alone = _folder.PathOf(Path.GetFileNameWithoutExtension(input) + "-alone");
            Succeeds(["encode", "--input", input, "--output", alone, "--quiet", .. settings]);
            foreach (string extension in new[] { ".bin", ".idx" })
            {
                string output = _folder.PathOf("out", Path.GetFileNameWithoutExtension(input) + extension);
                Assert.True(File.ReadAllBytes(alone + extension).AsSpan().SequenceEqual(File.ReadAllBytes(output)), $"{output} is not what encoding {input} alone writes");
            }
        }
        string[] lines = File.ReadAllLines(_folder.PathOf("out", "manifest.jsonl"));
        Assert.Equal(inputs.Count, lines.Length);
        Assert.All(lines, line => Assert.Equal(2, System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("outputs").GetArrayLength()));
        Succeeds(["manifest", "verify", _folder.PathOf("out"), "--quiet"]);
        Assert.Empty(Directory.GetFiles(_folder.PathOf("out"), "*.tmp*"));
    }

    [SkippableFact]
    public void TheManifest_RecordsEachShardsInputOutputCountsModelAndOptions()
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        Succeeds(["encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("out"), "--format", "bin32", "--eos", "--model", Model40k, "--quiet"]);
        JsonElement[] entries = ShardFolder.Entries(_folder.PathOf("out", "manifest.jsonl"));
        Assert.Equal(inputs.Count, entries.Length);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        string modelSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Model40k)));
        for (int i = 0; i < inputs.Count; i++)
        {
            JsonElement entry = entries[i];
            byte[] input = File.ReadAllBytes(inputs[i]);
            JsonElement recordedInput = entry.GetProperty("input");
            Assert.Equal("../in/" + Path.GetFileName(inputs[i]), recordedInput.GetProperty("path").GetString());
            Assert.Equal(input.Length, recordedInput.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)), recordedInput.GetProperty("sha256").GetString());
            Assert.Equal(File.GetLastWriteTimeUtc(inputs[i]), recordedInput.GetProperty("mtime").GetDateTime().ToUniversalTime());
            JsonElement output = Assert.Single(entry.GetProperty("outputs").EnumerateArray());
            string name = Path.GetFileNameWithoutExtension(inputs[i]) + ".bin32";
            byte[] written = File.ReadAllBytes(_folder.PathOf("out", name));
            Assert.Equal(name, output.GetProperty("path").GetString());
            Assert.Equal(written.Length, output.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(written)), output.GetProperty("sha256").GetString());
            // The counts, from the library: the tokens of the text (the eos is the writer's, not a token of the text), a chunk per line.
            string text = Encoding.UTF8.GetString(input);
            Assert.Equal(tokenizer.EncodeToIds(text).Count, entry.GetProperty("tokens").GetInt64());
            Assert.Equal(written.Length / 4 - 1, entry.GetProperty("tokens").GetInt64());
            Assert.Equal(System.Text.RegularExpressions.Regex.Matches(text, "[^\n]+\n*|\n+").Count, entry.GetProperty("chunks").GetInt64()); // a line and the newlines after it
            JsonElement model = entry.GetProperty("model");
            Assert.Equal(modelSha, model.GetProperty("sha256").GetString());
            Assert.Equal("bytepiece-json", model.GetProperty("format").GetString());
            Assert.Equal(tokenizer.VocabSize, model.GetProperty("vocab_size").GetInt32());
            Assert.Equal("""{"format":"bin32","bos":false,"eos":true,"raw":false,"alpha":null,"seed":null}""", entry.GetProperty("options").GetRawText());
            Assert.StartsWith("bytepiece 0.", entry.GetProperty("tool").GetString());
            Assert.True(entry.GetProperty("seconds").GetDouble() >= 0);
        }
    }

    [SkippableFact]
    public void TheDefaultModel_IsIdentifiedByTheEmbeddedFilesHash()
    {
        string input = _folder.Add("a.txt", "hello\n");
        Succeeds("encode", "--input", input, "--output-dir", _folder.PathOf("out"), "--quiet");
        JsonElement model = ShardFolder.Entries(_folder.PathOf("out", "manifest.jsonl"))[0].GetProperty("model");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(DefaultModel.GetFileBytes())), model.GetProperty("sha256").GetString());
        Assert.Equal("bytepiece-native", model.GetProperty("format").GetString());
    }

    [SkippableFact]
    public void TheThreads_ChangeNeitherTheOutputsNorTheManifest()
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        string list = _folder.List(inputs);
        SortedDictionary<string, byte[]>? first = null;
        string[]? manifest = null;
        foreach (string threads in new[] { "1", "2", "5", "16" })
        {
            string output = _folder.PathOf("out-" + threads);
            Succeeds("encode", "--input-list", list, "--output-dir", output, "--model", Model40k, "--threads", threads, "--quiet");
            SortedDictionary<string, byte[]> files = ShardFolder.Files(output, except: "manifest.jsonl");
            string[] lines = ShardFolder.Timeless(Path.Combine(output, "manifest.jsonl"));
            if (first is null)
            {
                (first, manifest) = (files, lines);
                continue;
            }
            ShardFolder.AssertSameFiles(first, files);
            Assert.Equal(manifest, lines);
        }
    }

    [SkippableFact]
    public void ARunStartedAgain_SkipsTheShardsDone_AndRedoesTheOnesNoLongerAsRecorded()
    {
        IReadOnlyList<string> inputs = _folder.AddSamples();
        string[] run = ["encode", "--input-list", _folder.List(inputs), "--output-dir", _folder.PathOf("out"), "--model", Model40k];
        Succeeds([.. run, "--quiet"]);
        string manifest = _folder.PathOf("out", "manifest.jsonl");
        string[] before = ShardFolder.Timeless(manifest);
        SortedDictionary<string, byte[]> outputs = ShardFolder.Files(_folder.PathOf("out"), except: "manifest.jsonl");

        var again = Run(run);
        Assert.Equal(0, again.Code);
        Assert.Contains("6 shards, all already done", again.Stderr);
        Assert.Equal(before, ShardFolder.Timeless(manifest));

        // An output changed in place (same size), an output deleted, an input touched but unchanged.
        string zh = _folder.PathOf("out", "zh.ids");
        byte[] changed = File.ReadAllBytes(zh);
        changed[0] = (byte)(changed[0] == '1' ? '2' : '1');
        File.WriteAllBytes(zh, changed);
        File.Delete(_folder.PathOf("out", "code.ids"));
        File.SetLastWriteTimeUtc(inputs[1], DateTime.UtcNow.AddMinutes(-5));
        var third = Run(run);
        Assert.Equal(0, third.Code);
        Assert.Contains("encoded 2 shards (4 already done)", third.Stderr);
        ShardFolder.AssertSameFiles(outputs, ShardFolder.Files(_folder.PathOf("out"), except: "manifest.jsonl"));
        string[] after = ShardFolder.Timeless(manifest);
        Assert.Equal(before.Where((_, i) => i != 1), after.Where((_, i) => i != 1));
        Assert.Contains(File.GetLastWriteTimeUtc(inputs[1]).ToString("O", System.Globalization.CultureInfo.InvariantCulture), after[1]); // the new time, same content
    }

    [SkippableFact]
    public void AShardWhoseInputChanged_IsEncodedAgain()
    {
        string a = _folder.Add("a.txt", "first text\n"), b = _folder.Add("b.txt", "second text\n");
        string[] run = ["encode", "--input", a, "--input", b, "--output-dir", _folder.PathOf("out"), "--model", Model40k];
        Succeeds(run);
        File.WriteAllText(b, "second text, now longer\n");
        var (code, _, stderr) = Run(run);
        Assert.Equal(0, code);
        Assert.Contains("encoded 1 shard (1 already done)", stderr);
        Assert.Equal(string.Join(' ', SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds("second text, now longer\n")) + "\n", File.ReadAllText(_folder.PathOf("out", "b.ids")));
        Succeeds("manifest", "verify", _folder.PathOf("out"), "--inputs");
    }

    [SkippableFact]
    public void ShardsOfAnEarlierRunWithOtherInputs_StayInTheManifest()
    {
        string a = _folder.Add("a.txt", "first\n"), b = _folder.Add("b.txt", "second\n");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("out"), "--quiet");
        Succeeds("encode", "--input", b, "--output-dir", _folder.PathOf("out"), "--quiet");
        JsonElement[] entries = ShardFolder.Entries(_folder.PathOf("out", "manifest.jsonl"));
        Assert.Equal(["../in/a.txt", "../in/b.txt"], entries.Select(e => e.GetProperty("input").GetProperty("path").GetString()));
    }

    [SkippableFact]
    public void AFailingShard_FailsTheRunNamingIt_AndTheShardsDoneStayRecorded()
    {
        string good = _folder.Add("good.txt", "good text\n"), bad = _folder.Add("bad.txt", [.. "ok\nab"u8, 0xFF, .. "cd\n"u8]), later = _folder.Add("later.txt", "later\n");
        string[] run = ["encode", "--input-list", _folder.List([good, bad, later]), "--output-dir", _folder.PathOf("out"), "--threads", "1"];
        var (code, stdout, stderr) = Run(run);
        Assert.Equal(3, code);
        Assert.Equal("", stdout);
        string[] lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal($"bytepiece: shard {bad}: input is not valid UTF-8 at byte 5 (use --raw to encode bytes as they are)", lines[0]);
        Assert.Equal($"bytepiece: 1 of 3 shards done and recorded in {_folder.PathOf("out", "manifest.jsonl")} (the same command encodes the rest)", lines[1]);
        Assert.Equal(2, lines.Length);
        // One thread: the shards start in order, and none starts after the failure.
        Assert.Equal(["good.ids", "manifest.jsonl"], Directory.GetFiles(_folder.PathOf("out")).Select(Path.GetFileName).Order());
        Assert.Equal("../in/good.txt", ShardFolder.Entries(_folder.PathOf("out", "manifest.jsonl")).Single().GetProperty("input").GetProperty("path").GetString());
        File.WriteAllText(bad, "ok\nfixed\n");
        var fixedRun = Run(run);
        Assert.Equal(0, fixedRun.Code);
        Assert.Contains("encoded 2 shards (1 already done)", fixedRun.Stderr);
    }

    [SkippableFact]
    public void TheInputList_ComesFromStdinWithDash_AndItsEmptyLinesAreSkipped()
    {
        string a = _folder.Add("a.txt", "first\n"), b = _folder.Add("b.txt", "second\n");
        var (code, _, stderr) = CliRunner.Run($"{a}\n\n{b}\r\n", "encode", "--input-list", "-", "--output-dir", _folder.PathOf("out"), "--model", Model40k);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(_folder.PathOf("out", "a.ids")) && File.Exists(_folder.PathOf("out", "b.ids")));
    }

    [SkippableFact]
    public void TheManifest_MayBeElsewhere_WithPathsRelativeToItsFolder()
    {
        string a = _folder.Add("a.txt", "first\n");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("out"), "--manifest", _folder.PathOf("out", ".parts", "a.jsonl"));
        JsonElement entry = ShardFolder.Entries(_folder.PathOf("out", ".parts", "a.jsonl")).Single();
        Assert.Equal("../../in/a.txt", entry.GetProperty("input").GetProperty("path").GetString());
        Assert.Equal("../a.ids", entry.GetProperty("outputs")[0].GetProperty("path").GetString());
        Assert.False(File.Exists(_folder.PathOf("out", "manifest.jsonl")));
    }

    [SkippableFact]
    public void AShardRun_RefusesWhatCannotBeDone_BeforeWritingAnything()
    {
        string a = _folder.Add("a.txt", "first\n"), b = _folder.Add("b.txt", "second\n");
        string twin = _folder.Add(Path.Combine("other", "a.txt"), "another a\n");
        string outDir = _folder.PathOf("out");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["--input", a, "--input", b], 1, "several --input need --output-dir DIR"),
            (["--input-list", _folder.List([a])], 1, "--input-list needs --output-dir DIR"),
            (["--input", a, "--output-dir", outDir, "--output", "x.ids"], 1, "give either --output (one output) or --output-dir"),
            (["hello", "--output-dir", outDir], 1, "TEXT is not a shard"),
            (["--input", "-", "--output-dir", outDir], 1, "stdin ('-') cannot be one"),
            (["--input", a, "--input", a, "--output-dir", outDir], 1, $"input {a} is given twice"),
            (["--input", a, "--input", twin, "--output-dir", outDir], 1, $"inputs {a} and {twin} would both be written to {Path.Combine(outDir, "a")}.ids"),
            (["--input", a, "--input", _folder.PathOf("in", "missing.txt"), "--output-dir", outDir], 4, "file not found: "),
            (["--input", a, "--manifest", _folder.PathOf("m.jsonl")], 1, "--manifest goes with --output-dir"),
            (["--input", a, "--output-dir", _folder.In, "--format", "jsonl", "--manifest", _folder.PathOf("in", "a.jsonl")], 1, "would be the manifest"),
            (["--input", a, "--output-dir", _folder.In, "--format", "ids", "--manifest", _folder.PathOf("m.jsonl")], 0, ""),
        ];
        foreach ((string[] args, int expected, string message) in cases)
        {
            var (code, stdout, stderr) = Run(["encode", "--model", Model40k, "--quiet", .. args]);
            Assert.True(expected == code, $"{string.Join(' ', args)}: exit {code}, {stderr}");
            Assert.Equal("", stdout);
            Assert.Contains(message, stderr);
            if (expected != 0) Assert.False(Directory.Exists(outDir), string.Join(' ', args));
        }
        string input = _folder.Add("x.ids", "text\n");
        var same = Run("encode", "--model", Model40k, "--input", input, "--output-dir", _folder.In, "--manifest", _folder.PathOf("m2.jsonl"));
        Assert.Equal(1, same.Code);
        Assert.Contains("is the input itself", same.Stderr);
    }

    [SkippableFact]
    public void AnOutputFolderOfOtherSettings_IsRefused_NamingTheDifference()
    {
        string a = _folder.Add("a.txt", "first\n");
        Succeeds("encode", "--input", a, "--output-dir", _folder.PathOf("out"), "--model", Model40k, "--quiet");
        string before = File.ReadAllText(_folder.PathOf("out", "manifest.jsonl"));
        var options = Run("encode", "--input", a, "--output-dir", _folder.PathOf("out"), "--model", Model40k, "--eos");
        Assert.Equal(1, options.Code);
        Assert.Contains("records shards encoded with different options (--format ids; this run: --format ids --eos)", options.Stderr);
        var model = Run("encode", "--input", a, "--output-dir", _folder.PathOf("out"));
        Assert.Equal(1, model.Code);
        Assert.Contains("records shards encoded with a different model (model sha256 ", model.Stderr);
        Assert.Equal(before, File.ReadAllText(_folder.PathOf("out", "manifest.jsonl")));
    }

    [SkippableFact]
    public void AManifestLineCutShortByAKill_IsDropped_AndItsShardEncodedAgain()
    {
        string a = _folder.Add("a.txt", "first\n"), b = _folder.Add("b.txt", "second\n");
        string[] run = ["encode", "--input", a, "--input", b, "--output-dir", _folder.PathOf("out"), "--model", Model40k];
        Succeeds(run);
        string manifest = _folder.PathOf("out", "manifest.jsonl");
        string[] whole = ShardFolder.Timeless(manifest);
        string[] lines = File.ReadAllLines(manifest);
        File.WriteAllText(manifest, lines[0] + "\n" + lines[1][..40]);
        var (code, _, stderr) = Run(run);
        Assert.Equal(0, code);
        Assert.Contains("encoded 1 shard (1 already done)", stderr);
        Assert.Equal(whole, ShardFolder.Timeless(manifest));
        File.WriteAllText(manifest, "not json\n" + lines[1] + "\n");
        var malformed = Run(run);
        Assert.Equal(3, malformed.Code);
        Assert.Contains($"{manifest} line 1 is not a manifest entry", malformed.Stderr);
    }

    [SkippableFact]
    public void OneBigShardOnTwoThreads_IsWhatOneEncodeOnOneThreadWrites()
    {
        byte[] corpus = SharedData.Corpus("en", 3 << 20);
        string big = _folder.Add("big.txt", corpus);
        Succeeds("encode", "--input", big, "--output-dir", _folder.PathOf("out"), "--model", Model40k, "--format", "bin32", "--threads", "2", "--quiet");
        Succeeds("encode", "--input", big, "--output", _folder.PathOf("alone.bin32"), "--model", Model40k, "--format", "bin32", "--threads", "1", "--quiet");
        Assert.Equal(File.ReadAllBytes(_folder.PathOf("alone.bin32")), File.ReadAllBytes(_folder.PathOf("out", "big.bin32")));
    }
}
