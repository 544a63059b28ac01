using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// Crafted oversized models are refused by every loader with one clear message (issue 19, item 3), and
/// loading stays within a small multiple of a model's size: real models, near-limit models, and the trie
/// whose cells stay bounded by the piece bytes whatever the vocabulary's shape.
/// </summary>
public class ModelSizeLimitTests(ITestOutputHelper output)
{
    /// <summary>All 256 single bytes (ids 3..258) plus <paramref name="extra"/> (ids from 259), as BytePiece JSON.</summary>
    internal static byte[] BytePieceJsonWith(IEnumerable<byte[]> extra)
    {
        var sb = new StringBuilder("{");
        int id = 3;
        foreach (byte[] piece in Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).Concat(extra))
        {
            if (id > 3) sb.Append(',');
            sb.Append('"').Append(Convert.ToBase64String(piece)).Append("\":[").Append(id++).Append(",\"\",1]");
        }
        return Encoding.UTF8.GetBytes(sb.Append('}').ToString());
    }

    /// <summary>A tokenizer.json Unigram model with <paramref name="vocab"/> (after an unknown piece).</summary>
    internal static byte[] TokenizerJsonWith(IEnumerable<string> vocab, string score = "-1.5")
    {
        var sb = new StringBuilder("{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"<unk>\",0.0]");
        foreach (string piece in vocab) sb.Append(",[\"").Append(piece).Append("\",").Append(score).Append(']');
        return Encoding.UTF8.GetBytes(sb.Append("]}}").ToString());
    }

    /// <summary>A SentencePiece ModelProto: an unknown piece, then <paramref name="pieces"/> as NORMAL pieces with <paramref name="score"/>.</summary>
    internal static byte[] SentencePieceModelWith(IEnumerable<byte[]> pieces, float score = -1.5f)
        => SentencePieceModelWith(pieces.Select(p => (p, score)));

    /// <summary>A SentencePiece ModelProto: an unknown piece, then <paramref name="pieces"/> as NORMAL pieces with their scores.</summary>
    internal static byte[] SentencePieceModelWith(IEnumerable<(byte[] Piece, float Score)> pieces)
    {
        var file = new MemoryStream();
        void Varint(ulong v) { while (v >= 0x80) { file.WriteByte((byte)(v | 0x80)); v >>= 7; } file.WriteByte((byte)v); }
        void Piece(byte[] bytes, float s, int type)
        {
            var message = new MemoryStream();
            message.WriteByte(0x0A);
            var length = new MemoryStream();
            ulong n = (ulong)bytes.Length;
            while (n >= 0x80) { message.WriteByte((byte)(n | 0x80)); n >>= 7; }
            message.WriteByte((byte)n);
            message.Write(bytes);
            message.WriteByte(0x15);
            message.Write(BitConverter.GetBytes(s));
            message.WriteByte(0x18);
            message.WriteByte((byte)type);
            file.WriteByte(0x0A);
            Varint((ulong)message.Length);
            message.WriteTo(file);
        }
        Piece("<unk>"u8.ToArray(), 0, 2);
        foreach (var (piece, score) in pieces) Piece(piece, score, 1);
        return file.ToArray();
    }

    private static byte[] Repeat(byte b, int n) => Enumerable.Repeat(b, n).ToArray();

    [SkippableFact]
    public void APieceLongerThanTheLimitIsRefusedByEveryLoader()
    {
        byte[] tooLong = Repeat((byte)'a', ModelLimits.MaxPieceBytes + 1);
        Assert.Contains("MaxPieceBytes", Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(BytePieceJsonWith([tooLong]))).Message);
        Assert.Contains("MaxPieceBytes", Assert.Throws<ModelFormatException>(() => ModelFile.LoadSentencePiece(SentencePieceModelWith([tooLong]))).Message);
        Assert.Contains("MaxPieceBytes", Assert.Throws<ModelFormatException>(() => HuggingFaceTokenizer.FromJson(TokenizerJsonWith([Encoding.ASCII.GetString(tooLong)]))).Message);
        var native = new MemoryStream();
        NativeModelFormat.Write(UnigramModel.FromCounts(Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], 1))
            .Append(new(Repeat((byte)'a', ModelLimits.MaxPieceBytes), 1))), native);
        byte[] file = native.ToArray();
        // Grow the last piece's stored length by one: the length check comes before the checksum's verdict matters.
        int lengthsAt = 64 + 12 * 257;
        BitConverter.GetBytes(ModelLimits.MaxPieceBytes + 1).CopyTo(file, lengthsAt + 4 * 256);
        Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(file));
    }

    [SkippableFact]
    public void AModelExactlyAtThePieceLengthLimitLoads()
    {
        byte[] longest = Repeat((byte)'a', ModelLimits.MaxPieceBytes);
        Assert.Equal(ModelLimits.MaxPieceBytes, BytePieceJson.Read(BytePieceJsonWith([longest])).MaxPieceLength);
        Assert.Equal(2, ModelFile.LoadSentencePiece(SentencePieceModelWith([longest])).VocabSize);
        Assert.Equal(2, HuggingFaceTokenizer.FromJson(TokenizerJsonWith([Encoding.ASCII.GetString(longest)])).VocabSize);
    }

    [SkippableFact]
    public void APieceOfAHundredMegabytesIsRefusedWithoutAllocatingIt()
    {
        byte[] json = BytePieceJsonWith([Repeat((byte)'x', 30 << 20)]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(json));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{json.Length:N0}-byte file refused after {allocated:N0} allocated bytes: {e.Message}");
        Assert.Contains("MaxPieceBytes", e.Message);
        Assert.True(allocated < json.Length / 4, $"{allocated:N0} bytes allocated to refuse a {json.Length:N0}-byte file");

        byte[] hf = TokenizerJsonWith([new string('x', 30 << 20)]);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<ModelFormatException>(() => HuggingFaceTokenizer.FromJson(hf));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"tokenizer.json of {hf.Length:N0} bytes refused after {allocated:N0} allocated bytes: {e.Message}");
        Assert.Contains("MaxPieceBytes", e.Message);
        Assert.True(allocated < 3L * hf.Length, $"{allocated:N0} bytes allocated to refuse a {hf.Length:N0}-byte file");

        byte[] spm = SentencePieceModelWith([Repeat((byte)'x', 30 << 20)]);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<ModelFormatException>(() => ModelFile.LoadSentencePiece(spm));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("MaxPieceBytes", e.Message);
        Assert.True(allocated < spm.Length / 4, $"{allocated:N0} bytes allocated to refuse a {spm.Length:N0}-byte file");
    }

    [SkippableFact]
    public void PiecesHoldingMoreThanTheTotalLimitAreRefused()
    {
        // 1,100 pieces of 16 KiB: 17.6 MB, each piece within the length limit, the sum beyond the total.
        var random = new Random(19);
        var pieces = Enumerable.Range(0, 1100).Select(_ => { var b = new byte[ModelLimits.MaxPieceBytes]; random.NextBytes(b); return b; }).ToList();
        Assert.Contains("MaxTotalPieceBytes", Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(BytePieceJsonWith(pieces))).Message);
        Assert.Contains("MaxTotalPieceBytes", Assert.Throws<ModelFormatException>(() => ModelFile.LoadSentencePiece(SentencePieceModelWith(pieces.Select(p => Encoding.UTF8.GetBytes(Convert.ToBase64String(p)[..ModelLimits.MaxPieceBytes]))))).Message);
        Assert.Contains("MaxTotalPieceBytes", Assert.Throws<ModelFormatException>(() => HuggingFaceTokenizer.FromJson(TokenizerJsonWith(pieces.Select(p => Convert.ToBase64String(p)[..ModelLimits.MaxPieceBytes])))).Message);
    }

    [SkippableFact]
    public void MorePiecesThanTheVocabularyLimitAreRefused()
    {
        var pieces = Enumerable.Range(0, ModelLimits.MaxVocabularySize + 1).Select(i => BitConverter.GetBytes(i));
        Assert.Contains("MaxVocabularySize", Assert.Throws<ModelFormatException>(() => ModelFile.LoadSentencePiece(SentencePieceModelWith(pieces))).Message);
    }

    [SkippableFact]
    public void AFilePaddedFarBeyondItsPiecesIsRefused()
    {
        byte[] json = BytePieceJsonWith([]);
        byte[] padded = [.. json[..^1], .. Repeat((byte)' ', ModelLimits.FileSlackBytes + (1 << 20)), (byte)'}'];
        Assert.Contains("padding", Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(padded)).Message);
        byte[] hf = TokenizerJsonWith([]);
        byte[] hfPadded = [.. hf[..^1], .. Repeat((byte)' ', ModelLimits.FileSlackBytes + (1 << 20)), (byte)'}'];
        Assert.Contains("padding", Assert.Throws<ModelFormatException>(() => HuggingFaceTokenizer.FromJson(hfPadded)).Message);
    }

    [SkippableFact]
    public void TheCliRefusesACraftedModelWithExitTwoAndOneLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bytepiece-crafted-{Environment.ProcessId}.model");
        try
        {
            File.WriteAllBytes(path, BytePieceJsonWith([Repeat((byte)'x', ModelLimits.MaxPieceBytes * 4)]));
            var (code, _, stderr) = CliRunner.Run("", "encode", "-m", path, "hello");
            Assert.Equal(2, code);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains("MaxPieceBytes", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public void LoadingARealModelAllocatesASmallMultipleOfItsFile()
    {
        string path = SharedData.BytePieceModelPath("bytepiece.eu.plus.160k.model");
        long file = new FileInfo(path).Length;
        ModelFile.Load(path); // warm up the code paths
        long before = GC.GetAllocatedBytesForCurrentThread();
        UnigramModel model = ModelFile.Load(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{model.PieceCount:N0} pieces, file {file:N0} bytes, load allocated {allocated:N0} bytes ({(double)allocated / file:F1}x), trie {model.Trie.CellCount:N0} cells");
        Assert.True(allocated < 8 * file, $"loading a {file:N0}-byte model allocated {allocated:N0} bytes");
    }

    [SkippableFact]
    public void LoadingANearLimitModelAllocatesASmallMultipleOfItsFile()
    {
        // 900 random pieces of 16 KiB (14.7 MB, near the 16 MiB total): chains, the trie's worst shape.
        var random = new Random(3);
        var pieces = Enumerable.Range(0, 900).Select(_ => { var b = new byte[ModelLimits.MaxPieceBytes]; random.NextBytes(b); return b; }).ToList();
        byte[] json = BytePieceJsonWith(pieces);
        long before = GC.GetAllocatedBytesForCurrentThread();
        UnigramModel model = BytePieceJson.Read(json);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"file {json.Length:N0} bytes, load allocated {allocated:N0} bytes ({(double)allocated / json.Length:F1}x), trie {model.Trie.CellCount:N0} cells");
        Assert.True(allocated < 48L * json.Length, $"loading a {json.Length:N0}-byte model allocated {allocated:N0} bytes");
    }

    public static TheoryData<string> Shapes => ["chains", "all pairs", "spread labels", "random", "characters"];

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void TheTrieHasAtMostAFewCellsPerPieceByte(string shape)
    {
        var random = new Random(7);
        List<byte[]> pieces = shape switch
        {
            "chains" => [.. Enumerable.Range(0, 200).Select(_ => { var b = new byte[1000]; random.NextBytes(b); return b; })],
            "all pairs" => [.. Enumerable.Range(0, 65536).Select(i => new[] { (byte)(i >> 8), (byte)i })],
            "spread labels" => [.. Spread(6)],
            "random" => [.. Enumerable.Range(0, 50_000).Select(_ => { var b = new byte[random.Next(2, 40)]; random.NextBytes(b); return b; }).DistinctBy(Convert.ToBase64String)],
            _ => [.. Enumerable.Range(0, 30_000).Select(_ => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => (char)random.Next(0x4E00, 0x9FFF))))).DistinctBy(Convert.ToBase64String)],
        };
        var all = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).Concat(pieces).DistinctBy(Convert.ToBase64String).ToArray();
        long bytes = all.Sum(p => (long)p.Length);
        var offsets = new int[all.Length + 1];
        for (int i = 0; i < all.Length; i++) offsets[i + 1] = offsets[i] + all[i].Length;
        PieceTrie trie = PieceTrie.Build([.. all.SelectMany(p => p)], offsets, new double[all.Length], out _)!;
        output.WriteLine($"{shape}: {all.Length:N0} pieces, {bytes:N0} bytes, {trie.CellCount:N0} cells");
        Assert.True(trie.CellCount <= PieceTrie.MaxCells(bytes), $"{trie.CellCount:N0} cells for {bytes:N0} piece bytes");
        if (shape == "characters")
        {
            var (alphabet, labels) = CharAlphabet.Build(all)!.Value;
            var kept = labels.Where(l => l is not null).Select(l => l!).ToArray();
            var charOffsets = new int[kept.Length + 1];
            for (int i = 0; i < kept.Length; i++) charOffsets[i + 1] = charOffsets[i] + kept[i].Length;
            PieceTrie chars = PieceTrie.Build([.. kept.SelectMany(l => l)], charOffsets, new double[kept.Length], alphabet.Size, out _)!;
            output.WriteLine($"character trie: {chars.CellCount:N0} cells, alphabet {alphabet.Size:N0}");
            Assert.True(chars.CellCount <= PieceTrie.MaxCells(bytes), $"{chars.CellCount:N0} character cells for {bytes:N0} piece bytes");
        }

        static IEnumerable<byte[]> Spread(int depth)
        {
            byte[] labels = [0x00, 0x40, 0x80, 0xC0, 0xFF];
            IEnumerable<byte[]> level = labels.Select(b => new[] { b });
            for (int d = 1; d < depth; d++)
            {
                foreach (byte[] p in level) yield return p;
                level = level.SelectMany(p => labels.Select(b => (byte[])[.. p, b])).ToList();
            }
            foreach (byte[] p in level) yield return p;
        }
    }
}
