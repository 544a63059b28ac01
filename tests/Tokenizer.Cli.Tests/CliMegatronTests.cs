using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// <c>encode --format megatron</c> and <c>merge-datasets</c>: the .bin + .idx pair, read back by an independent
/// reader (megatron_reader.py, numpy, written from Megatron-LM's indexed_dataset.py), holds every chunk or line
/// as <c>encode --format jsonl</c> gives it, one document each; merged shards equal the encoded concatenation.
/// </summary>
public sealed class CliMegatronTests : IDisposable
{
    private readonly string _dir = RunFolder.NewFolder("megatron");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static string SpmModel => SentencePiecePeer.SharedModelPath("test_model.model");

    /// <summary>The .model converted to tokenizer.json, with a post-processor that puts &lt;/s&gt; after each line (for --eos).</summary>
    private static readonly Lazy<string> s_tokenizerJson = new(() =>
    {
        string path = Path.Combine(RunFolder.NewFolder("megatron-json"), "tokenizer.json");
        Assert.Equal(0, CliRunner.Run("", "convert", "--model", SpmModel, "--output", path).Code);
        JsonNode json = JsonNode.Parse(File.ReadAllText(path))!;
        json["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
             "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}
            """);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    });

    private static string[] ModelArgs(string kind) => kind switch
    {
        "default" => [],
        "spm" => ["--model", SpmModel],
        "tokenizer.json" => ["--model", s_tokenizerJson.Value],
        _ => ["--model", SharedData.BytePieceModelPath(kind)],
    };

    /// <summary>
    /// Real text: for the default model an English and a Japanese novel (1.4 MB, two blocks); for the sentence
    /// models the English one four times (1.1 MB), with empty lines and a line of spaces (no tokens) among its lines.
    /// </summary>
    private static byte[] Text(string kind)
    {
        string novels = Path.Combine(SharedData.Root, "models", "sentencepiece");
        if (kind is not ("spm" or "tokenizer.json"))
            return [.. File.ReadAllBytes(Path.Combine(novels, "botchan.txt")), .. File.ReadAllBytes(Path.Combine(novels, "wagahaiwa_nekodearu.txt"))];
        var text = new StringBuilder();
        string[] lines = File.ReadAllLines(Path.Combine(novels, "botchan.txt"));
        for (int copy = 0; copy < 4; copy++)
            for (int i = 0; i < lines.Length; i++)
            {
                text.Append(lines[i]).Append('\n');
                if (i % 10 == 3) text.Append('\n');
                if (i % 50 == 7) text.Append("   \n");
            }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>What <c>encode --format jsonl</c> gives for each chunk or line.</summary>
    private static List<int[]> Units(byte[] input, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(input, ["encode", "--format", "jsonl", "--quiet", "--threads", "1", .. args]);
        Assert.True(code == 0, stderr);
        return [.. Encoding.UTF8.GetString(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32()).ToArray())];
    }

    /// <summary>
    /// The documents a dataset should hold: each chunk or line as jsonl gives it with the same options, except
    /// that one with no tokens of its own (jsonl without options gives it none) is empty, without bos/eos.
    /// </summary>
    private static List<int[]> ExpectedDocuments(byte[] input, string[] modelArgs, string[] specials)
    {
        List<int[]> plain = Units(input, modelArgs), marked = Units(input, [.. modelArgs, .. specials]);
        Assert.Equal(plain.Count, marked.Count);
        return [.. plain.Zip(marked, (p, m) => p.Length == 0 ? [] : m)];
    }

    private void Encode(byte[] input, string prefix, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(input, ["encode", "--format", "megatron", "--output", prefix, "--quiet", "--threads", "2", .. args]);
        Assert.True(code == 0, stderr);
        Assert.Empty(stdout);
    }

    private sealed record Dataset(string DType, long[] Lengths, long[] Pointers, long[] DocumentIndices, int[][] Documents);

    /// <summary>The dataset as megatron_reader.py reads it (it fails on any inconsistency between the files).</summary>
    private static Dataset Read(string prefix)
    {
        Prerequisites.Require(Prerequisite.NumPy);
        string reader = Path.Combine(SharedFolder.RepositoryRoot, "tests", "Tokenizer.Cli.Tests", "megatron_reader.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", [reader, prefix]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"megatron_reader.py {prefix}: {stderr.Result}");
        JsonElement root = JsonDocument.Parse(stdout).RootElement;
        static long[] Longs(JsonElement array) => [.. array.EnumerateArray().Select(x => x.GetInt64())];
        return new Dataset(root.GetProperty("dtype").GetString()!, Longs(root.GetProperty("lengths")), Longs(root.GetProperty("pointers")),
            Longs(root.GetProperty("document_indices")),
            [.. root.GetProperty("documents").EnumerateArray().Select(d => d.EnumerateArray().Select(x => x.GetInt32()).ToArray())]);
    }

    private static void AssertDocuments(List<int[]> expected, Dataset dataset)
    {
        Assert.Equal(expected.Count, dataset.Documents.Length);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].SequenceEqual(dataset.Documents[i]), $"document {i}: expected [{string.Join(' ', expected[i])}], read [{string.Join(' ', dataset.Documents[i])}]");
        Assert.Equal(expected.Count(d => d.Length > 0), dataset.Lengths.Length); // one sequence per document that has tokens
    }

    public static TheoryData<string, string> ModelsAndSpecials => new()
    {
        { "default", "" }, { "default", "--bos --eos" },
        { "spm", "" }, { "spm", "--bos --eos" },
        { "tokenizer.json", "" }, { "tokenizer.json", "--eos" },
    };

    [SkippableTheory]
    [MemberData(nameof(ModelsAndSpecials))]
    public void EveryDocument_ReadAsMegatronReadsIt_IsTheChunkOrLineEncodeGives(string kind, string specials)
    {
        byte[] input = Text(kind);
        string[] flags = specials.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string prefix = PathOf("data");
        Encode(input, prefix, [.. ModelArgs(kind), .. flags]);
        Dataset dataset = Read(prefix);
        Assert.Equal("uint16", dataset.DType);
        List<int[]> expected = ExpectedDocuments(input, ModelArgs(kind), flags);
        AssertDocuments(expected, dataset);
        if (kind != "default") Assert.Contains(expected, d => d.Length == 0); // the empty lines are there, as empty documents
        if (flags.Length > 0) Assert.True(expected.Where(d => d.Length > 0).All(d => d[^1] == 2), "--eos: every document ends with eos");
    }

    [SkippableFact]
    public void AVocabularyOf160kIds_IsWrittenAsInt32_AndReadBackWhole()
    {
        const string model = "bytepiece.eu.plus.160k.model";
        byte[] input = Text("default");
        string prefix = PathOf("large");
        Encode(input, prefix, [.. ModelArgs(model), "--eos"]);
        Dataset dataset = Read(prefix);
        Assert.Equal("int32", dataset.DType);
        List<int[]> expected = ExpectedDocuments(input, ModelArgs(model), ["--eos"]);
        AssertDocuments(expected, dataset);
        Assert.Contains(expected, d => d.Any(id => id > ushort.MaxValue)); // ids that uint16 could not hold
    }

    [SkippableFact]
    public void EmptyInput_IsADatasetWithoutSequences_AndOneDocumentIndex()
    {
        string prefix = PathOf("empty");
        Encode([], prefix);
        Dataset dataset = Read(prefix);
        Assert.Empty(dataset.Lengths);
        Assert.Equal([0L], dataset.DocumentIndices);
        Assert.Empty(dataset.Documents);
        Assert.Equal(0, new FileInfo(prefix + ".bin").Length);
        Assert.Equal(34 + 8, new FileInfo(prefix + ".idx").Length);
    }

    /// <summary>The index field by field, as Megatron's _IndexWriter.write lays it out, assembled here from jsonl's ids.</summary>
    [SkippableFact]
    public void TheFiles_AreMegatronsLayout_ByteForByte()
    {
        byte[] input = "Hello world.\n\n你好，世界。\nabc"u8.ToArray();
        List<int[]> units = Units(input, "--eos");
        Assert.Equal(3, units.Count);
        string prefix = PathOf("hello");
        Encode(input, prefix, "--eos");
        var index = new MemoryStream();
        using (var w = new BinaryWriter(index))
        {
            w.Write("MMIDIDX\0\0"u8);
            w.Write(1UL);         // version
            w.Write((byte)8);     // DType.uint16
            w.Write((ulong)units.Count);
            w.Write((ulong)units.Count + 1);
            foreach (int[] unit in units) w.Write(unit.Length);
            long pointer = 0;
            foreach (int[] unit in units)
            {
                w.Write(pointer);
                pointer += 2L * unit.Length;
            }
            for (long d = 0; d <= units.Count; d++) w.Write(d);
        }
        Assert.Equal(index.ToArray(), File.ReadAllBytes(prefix + ".idx"));
        Assert.Equal(units.SelectMany(u => u).SelectMany(id => BitConverter.GetBytes((ushort)id)).ToArray(), File.ReadAllBytes(prefix + ".bin"));
    }

    public static TheoryData<string> MergedModels => new() { "default", "spm" };

    /// <summary>Three shards cut at line starts (so their chunks are the whole's chunks), encoded apart and merged, are the whole encoded at once.</summary>
    [SkippableTheory]
    [MemberData(nameof(MergedModels))]
    public void MergedShards_AreTheirConcatenationEncoded_ByteForByte(string kind)
    {
        byte[] text = Text(kind);
        int Cut(double fraction)
        {
            int at = (int)(text.Length * fraction);
            while (!(text[at - 1] == '\n' && text[at] != '\n')) at++;
            return at;
        }
        int first = Cut(0.3), second = Cut(0.7);
        byte[][] shards = [text[..first], text[first..second], text[second..]];
        string[] args = [.. ModelArgs(kind), "--eos"];
        for (int i = 0; i < shards.Length; i++) Encode(shards[i], PathOf($"shard{i}"), args);
        Encode(text, PathOf("whole"), args);
        var (code, _, stderr) = CliRunner.Run("", "merge-datasets", PathOf("shard0"), PathOf("shard1.bin"), PathOf("shard2.idx"), "--output", PathOf("merged"));
        Assert.True(code == 0, stderr);
        Assert.Contains("merged 3 datasets (uint16)", stderr);
        Assert.Equal(File.ReadAllBytes(PathOf("whole.bin")), File.ReadAllBytes(PathOf("merged.bin")));
        Assert.Equal(File.ReadAllBytes(PathOf("whole.idx")), File.ReadAllBytes(PathOf("merged.idx")));
        AssertDocuments(ExpectedDocuments(text, ModelArgs(kind), ["--eos"]), Read(PathOf("merged")));

        // An empty shard between two adds nothing: its one document index (0) is dropped, as add_index drops it.
        Encode([], PathOf("empty"), args);
        Encode([.. shards[0], .. shards[2]], PathOf("outer"), args);
        Assert.Equal(0, CliRunner.Run("", "merge-datasets", PathOf("shard0"), PathOf("empty"), PathOf("shard2"), "-o", PathOf("outer-merged"), "-q").Code);
        Assert.Equal(File.ReadAllBytes(PathOf("outer.idx")), File.ReadAllBytes(PathOf("outer-merged.idx")));
        Assert.Equal(File.ReadAllBytes(PathOf("outer.bin")), File.ReadAllBytes(PathOf("outer-merged.bin")));
    }

    /// <summary>A dataset written here field by field (not by bytepiece): int32 tokens, two documents, the second empty.</summary>
    private string ForeignInt32Dataset(string name)
    {
        int[][] sequences = [[70000, 5, 6]];
        using (var w = new BinaryWriter(File.Create(PathOf(name + ".idx"))))
        {
            w.Write("MMIDIDX\0\0"u8);
            w.Write(1UL);
            w.Write((byte)4); // DType.int32
            w.Write(1UL);
            w.Write(3UL);
            w.Write(3);
            w.Write(0L);
            foreach (long end in new long[] { 0, 1, 1 }) w.Write(end);
        }
        File.WriteAllBytes(PathOf(name + ".bin"), [.. sequences[0].SelectMany(BitConverter.GetBytes)]);
        return PathOf(name);
    }

    [SkippableFact]
    public void MergingOneForeignDataset_GivesItBackByteForByte()
    {
        string foreign = ForeignInt32Dataset("foreign");
        var (code, _, stderr) = CliRunner.Run("", "merge-datasets", foreign, "-o", PathOf("copy"));
        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllBytes(foreign + ".idx"), File.ReadAllBytes(PathOf("copy.idx")));
        Assert.Equal(File.ReadAllBytes(foreign + ".bin"), File.ReadAllBytes(PathOf("copy.bin")));
        Dataset read = Read(PathOf("copy"));
        Assert.Equal("int32", read.DType);
        Assert.Equal(new int[][] { [70000, 5, 6], [] }, read.Documents);
    }

    [SkippableFact]
    public void MergingDatasetsOfTwoDtypes_IsRefused_Exit3_AndWritesNothing()
    {
        Encode("hello\n"u8.ToArray(), PathOf("small"));
        string foreign = ForeignInt32Dataset("wide");
        var (code, stdout, stderr) = CliRunner.Run("", "merge-datasets", PathOf("small"), foreign, "-o", PathOf("mixed"));
        Assert.Equal(3, code);
        Assert.Empty(stdout);
        Assert.Contains("wide.idx holds int32 tokens and", stderr);
        Assert.Contains("uint16", stderr);
        Assert.Empty(Directory.GetFiles(_dir, "*mixed*"));
    }

    [SkippableFact]
    public void AnInconsistentIndex_IsRefused_Exit3_NamingWhat()
    {
        Encode("one\ntwo\nthree\n"u8.ToArray(), PathOf("good"));
        byte[] index = File.ReadAllBytes(PathOf("good.idx"));
        // The second sequence's pointer, one token further than the first sequence's length puts it.
        int pointers = 34 + 4 * 3;
        byte[] wrongPointer = [.. index];
        wrongPointer[pointers + 8] += 2;
        File.WriteAllBytes(PathOf("bad.idx"), wrongPointer);
        File.Copy(PathOf("good.bin"), PathOf("bad.bin"));
        var (code, _, stderr) = CliRunner.Run("", "merge-datasets", PathOf("good"), PathOf("bad"), "-o", PathOf("out"));
        Assert.Equal(3, code);
        Assert.Contains("bad.idx: sequence 1 starts at byte", stderr);
        File.WriteAllBytes(PathOf("bad.idx"), index[..^8]); // one document index short
        (code, _, stderr) = CliRunner.Run("", "merge-datasets", PathOf("bad"), "-o", PathOf("out"));
        Assert.Equal(3, code);
        Assert.Contains("bytes where its counts make", stderr);
        File.WriteAllBytes(PathOf("bad.idx"), index);
        File.WriteAllBytes(PathOf("bad.bin"), [.. File.ReadAllBytes(PathOf("good.bin")), 0, 0]); // a token the index does not count
        (code, _, stderr) = CliRunner.Run("", "merge-datasets", PathOf("bad"), "-o", PathOf("out"));
        Assert.Equal(3, code);
        Assert.Contains("but the data file has", stderr);
        Assert.Empty(Directory.GetFiles(_dir, "*out*"));
    }

    /// <summary>Invalid UTF-8 past the first block: the run fails after writing data, and leaves neither file, no temporary, and an existing pair as it was.</summary>
    [SkippableFact]
    public void AFailedEncode_LeavesNeitherFile_AndAnExistingPairUntouched()
    {
        string prefix = PathOf("corpus");
        Encode("an older dataset\n"u8.ToArray(), prefix);
        byte[] oldIndex = File.ReadAllBytes(prefix + ".idx"), oldData = File.ReadAllBytes(prefix + ".bin");
        byte[] input = [.. Text("default"), .. Text("default"), 0xFF, (byte)'\n'];
        var (code, _, stderr) = CliRunner.Run(input, "encode", "--format", "megatron", "--output", prefix, "--threads", "2", "--quiet");
        Assert.Equal(3, code);
        Assert.Contains("not valid UTF-8", stderr);
        Assert.Equal(["corpus.bin", "corpus.idx"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(oldIndex, File.ReadAllBytes(prefix + ".idx"));
        Assert.Equal(oldData, File.ReadAllBytes(prefix + ".bin"));

        // With no dataset there before, nothing at all is left.
        (code, _, _) = CliRunner.Run(input, "encode", "--format", "megatron", "--output", PathOf("fresh"), "--quiet");
        Assert.Equal(3, code);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [SkippableFact]
    public void Stdout_IsRefused_Exit1_AndAPrefixMayNameEitherFile()
    {
        foreach (string[] output in new[] { Array.Empty<string>(), ["--output", "-"] })
        {
            var (code, stdout, stderr) = CliRunner.Run("hello\n", ["encode", "--format", "megatron", .. output]);
            Assert.Equal(1, code);
            Assert.Empty(stdout);
            Assert.Contains("megatron needs --output PREFIX", stderr);
        }
        Assert.Equal(1, CliRunner.Run("", "merge-datasets", "x", "-o", "-").Code);
        Assert.Equal(1, CliRunner.Run("", "merge-datasets", "x").Code); // --output is required
        Encode("hello\n"u8.ToArray(), PathOf("named.bin"));
        Encode("hello\n"u8.ToArray(), PathOf("other.idx"));
        Assert.Equal(["named.bin", "named.idx", "other.bin", "other.idx"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var (sameCode, _, sameErr) = CliRunner.Run("", "merge-datasets", PathOf("named"), PathOf("other"), "-o", PathOf("other"));
        Assert.Equal(1, sameCode);
        Assert.Contains("which is an input", sameErr);
        Assert.Equal(4, CliRunner.Run("", "merge-datasets", PathOf("missing"), "-o", PathOf("out")).Code);
    }

    /// <summary>
    /// 8 million two-token documents ("a\n"): an index held in memory would be at least 96 MB (int32 length, int64 pointer,
    /// int64 document index each); spilled to files, the run takes no more memory than bin16 on the same input.
    /// </summary>
    [SkippableFact]
    public void EightMillionDocuments_TakeNoMoreMemoryThanBin16()
    {
        string input = PathOf("lines.txt");
        var lines = new byte[16_000_000];
        for (int i = 0; i < lines.Length; i += 2) (lines[i], lines[i + 1]) = ((byte)'a', (byte)'\n');
        File.WriteAllBytes(input, lines);
        long bin16 = CliProcess.PeakMemory($"encode --input {input} --format bin16 --output {PathOf("lines.u16")} --quiet");
        long megatron = CliProcess.PeakMemory($"encode --input {input} --format megatron --output {PathOf("lines")} --quiet");
        Assert.Equal(8_000_000 * 12L + 8 * 8_000_001L + 34, new FileInfo(PathOf("lines.idx")).Length);
        Assert.True(megatron - bin16 < 32L << 20, $"megatron peak {megatron:N0} bytes, bin16 {bin16:N0}");
    }
}
