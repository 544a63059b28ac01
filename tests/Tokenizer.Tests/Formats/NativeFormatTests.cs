using Xunit;

namespace BytePiece.Tests;

/// <summary>The native binary format: exact round trips and clear errors for damaged files.</summary>
public class NativeFormatTests
{
    private static byte[] Native(UnigramModel model)
    {
        using var stream = new MemoryStream();
        NativeModelFormat.Write(model, stream);
        return stream.ToArray();
    }

    private static void AssertSameModel(UnigramModel expected, UnigramModel actual)
    {
        Assert.Equal(expected.PieceCount, actual.PieceCount);
        Assert.Equal(expected.VocabSize, actual.VocabSize);
        Assert.Equal(expected.TotalCount, actual.TotalCount);
        Assert.Equal(expected.Normalization, actual.Normalization);
        foreach (var piece in expected.Pieces)
        {
            Assert.True(actual.GetPieceBytes(piece.Id).SequenceEqual(piece.Bytes.Span));
            Assert.Equal(piece.Count, actual.GetCount(piece.Id));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.GetLogProb(piece.Id)), BitConverter.DoubleToInt64Bits(actual.GetLogProb(piece.Id)));
        }
    }

    [SkippableTheory]
    [InlineData("bytepiece.plus.40k.model")]
    [InlineData("bytepiece.eu.plus.160k.model")]
    public void RealModel_RoundTripsThroughNativeAndJson(string name)
    {
        var model = SharedData.BytePieceModel(name);
        var native = NativeModelFormat.Read(Native(model));
        AssertSameModel(model, native);
        using var json = new MemoryStream();
        BytePieceJson.Write(native, json);
        AssertSameModel(model, BytePieceJson.Read(json.ToArray()));
    }

    [SkippableFact]
    public void WrittenJson_IsUtf8WithUpstreamLayout()
    {
        var model = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        using var json = new MemoryStream();
        BytePieceJson.Write(model, json);
        string text = System.Text.Encoding.UTF8.GetString(json.ToArray());
        Assert.Contains("\"77yM\": [", text); // "，" keyed by base64 of its bytes
        Assert.Contains("\"，\"", text);      // display text written as UTF-8, not \u escapes
    }

    [SkippableFact]
    public void ModelFile_DetectsTheFormat_AndSavesAtomically()
    {
        var model = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        string dir = Directory.CreateTempSubdirectory("bp-native").FullName;
        try
        {
            string native = Path.Combine(dir, "m.bpm"), json = Path.Combine(dir, "m.json");
            ModelFile.Save(model, native, ModelFile.FormatFromExtension(native));
            ModelFile.Save(model, json, ModelFile.FormatFromExtension(json));
            Assert.Equal(ModelFileFormat.Native, ModelFile.Detect(File.ReadAllBytes(native)));
            Assert.Equal(ModelFileFormat.BytePieceJson, ModelFile.Detect(File.ReadAllBytes(json)));
            AssertSameModel(model, ModelFile.Load(native));
            AssertSameModel(model, ModelFile.Load(json));
            Assert.Equal(2, Directory.GetFiles(dir).Length); // no temporary files left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void FailedSave_LeavesTheExistingFileUntouched()
    {
        string dir = Directory.CreateTempSubdirectory("bp-atomic").FullName;
        try
        {
            string path = Path.Combine(dir, "out.bin");
            File.WriteAllText(path, "previous");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("boom"); }));
            Assert.Equal("previous", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void EveryTruncation_IsAClearError()
    {
        byte[] file = Native(SharedData.BytePieceModel("bytepiece.eu.plus.40k.model"));
        foreach (int cut in new[] { 0, 7, 8, 63, 64, 65, 1000, file.Length / 2, file.Length - 5, file.Length - 1 })
        {
            var e = Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(file.AsSpan(0, cut)));
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("magic"), e.Message);
        }
    }

    [SkippableFact]
    public void AnyFlippedBit_IsCaughtByTheChecksum()
    {
        byte[] original = Native(SharedData.BytePieceModel("bytepiece.eu.plus.40k.model"));
        var rng = new Random(3);
        for (int i = 0; i < 50; i++)
        {
            byte[] file = (byte[])original.Clone();
            int at = rng.Next(64, file.Length - 4);
            file[at] ^= (byte)(1 << rng.Next(8));
            Assert.Contains("checksum", Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(file)).Message);
        }
    }

    [SkippableFact]
    public void HeaderDamage_IsAClearError()
    {
        byte[] original = Native(SharedData.BytePieceModel("bytepiece.eu.plus.40k.model"));
        byte[] version = (byte[])original.Clone();
        version[8] = 9;
        Assert.Contains("version 9", Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(version)).Message);
        byte[] count = (byte[])original.Clone();
        count[20] ^= 0x01;
        Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(count));
        byte[] longer = [.. original, 0];
        Assert.Contains("trailing", Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(longer)).Message);
    }

    [SkippableFact]
    public void ValidChecksumOverInvalidContent_IsStillValidated()
    {
        // A crafted file (correct CRC) whose pieces break a model rule must be rejected by validation.
        var list = Enumerable.Range(1, 255).Select(b => new CountedPiece(new[] { (byte)b }, b + 3, 1)).ToList();
        list.Add(new CountedPiece(new byte[] { 0 }, 3, 1));
        var model = UnigramModel.FromCounts(list);
        byte[] file = Native(model);
        int idsAt = 64;
        BitConverter.GetBytes(5).CopyTo(file, idsAt); // piece 0's id := 5, duplicating another piece's id
        uint crc = NativeModelFormat.Crc32C(file.AsSpan(0, file.Length - 4));
        BitConverter.GetBytes(crc).CopyTo(file, file.Length - 4);
        Assert.Contains("id 5", Assert.Throws<ModelFormatException>(() => NativeModelFormat.Read(file)).Message);
    }

    private static void Reseal(byte[] file) => BitConverter.GetBytes(NativeModelFormat.Crc32C(file.AsSpan(0, file.Length - 4))).CopyTo(file, file.Length - 4);

    [SkippableFact]
    public void StoredTrie_WithACorrectChecksumButBadCells_IsRejected()
    {
        var model = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        byte[] original = Native(model);
        int cells = BitConverter.ToInt32(original, 40);
        int trieAt = original.Length - 4 - 12 * cells;
        var rng = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            byte[] file = (byte[])original.Clone();
            int cell = rng.Next(cells);
            int field = rng.Next(3); // base, check, or piece index
            int at = field < 2 ? trieAt + 8 * cell + 4 * field : trieAt + 8 * cells + 4 * cell;
            BitConverter.GetBytes(rng.Next(2) == 0 ? int.MaxValue - rng.Next(100) : BitConverter.ToInt32(file, at) + 1 + rng.Next(3)).CopyTo(file, at);
            Reseal(file);
            try
            {
                // A change that keeps the trie valid (e.g. the base of an unused cell) may load; then it must encode the same.
                var loaded = new BytePieceTokenizer(NativeModelFormat.Read(file));
                Assert.Equal(new BytePieceTokenizer(model).EncodeToIds("广州的白云机场 is busy today"), loaded.EncodeToIds("广州的白云机场 is busy today"));
            }
            catch (ModelFormatException e)
            {
                Assert.Contains("trie", e.Message);
            }
        }
    }

    [SkippableFact]
    public void FileWithoutAStoredTrie_IsBuiltOnLoad()
    {
        var model = SharedData.BytePieceModel("bytepiece.eu.plus.40k.model");
        byte[] full = Native(model);
        int cells = BitConverter.ToInt32(full, 40);
        byte[] file = [.. full.AsSpan(0, full.Length - 4 - 12 * cells), 0, 0, 0, 0];
        BitConverter.GetBytes(BitConverter.ToUInt32(file, 16) & ~2u).CopyTo(file, 16);
        BitConverter.GetBytes(0).CopyTo(file, 40);
        Reseal(file);
        AssertSameModel(model, NativeModelFormat.Read(file));
    }

    [SkippableFact]
    public void NativeLoad_GivesTheSameIdsAsJson_OnGoldenTexts()
    {
        var json = SharedData.BytePieceModel("bytepiece.plus.40k.model");
        var native = new BytePieceTokenizer(NativeModelFormat.Read(Native(json)));
        foreach (var (_, text, ids) in GoldenBytePieceTests.ReadGolden("bytepiece.plus.40k.model").Take(300))
            Assert.Equal(ids, native.EncodeToIds(text));
    }
}
