using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Every model rule gives a clear error naming the piece and id; bad files never crash or hang.</summary>
public class ModelValidationTests
{
    private static List<KeyValuePair<byte[], long>> AllBytes() =>
        Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], 1)).ToList();

    private static string Json(IEnumerable<(string Base64, string Value)> entries)
        => "{" + string.Join(",", entries.Select(e => $"\"{e.Base64}\": {e.Value}")) + "}";

    private static IEnumerable<(string, string)> ByteEntries(int skip = -1)
        => Enumerable.Range(0, 256).Where(b => b != skip).Select(b => (Convert.ToBase64String([(byte)b]), $"[{b + 3}, \"\", 1]"));

    private static ModelFormatException Rejects(string json)
        => Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(Encoding.UTF8.GetBytes(json)));

    [SkippableFact]
    public void MissingSingleByte_IsNamed()
    {
        var e = Rejects(Json(ByteEntries(skip: 0x8F)));
        Assert.Contains("0x8F", e.Message);
        var list = AllBytes();
        list.RemoveAll(kv => kv.Key[0] is 0x10 or 0x20);
        Assert.Contains("and 1 other", Assert.Throws<ModelFormatException>(() => UnigramModel.FromCounts(list)).Message);
    }

    [SkippableFact]
    public void EmptyPiece_IsRejected()
        => Assert.Contains("empty piece", Rejects(Json(ByteEntries().Append(("", "[300, \"\", 1]")))).Message);

    [SkippableFact]
    public void DuplicatePiece_IsNamed()
    {
        var e = Rejects(Json(ByteEntries().Append(("YWI=", "[300, \"ab\", 5]")).Append(("YWI=", "[301, \"ab\", 5]"))));
        Assert.Contains("YWI=", e.Message);
        Assert.Contains("twice", e.Message);
        // The same bytes twice through the API (not through JSON keys) are caught by the trie build.
        var list = AllBytes();
        list.Add(new("ab"u8.ToArray(), 5));
        list.Add(new("ab"u8.ToArray(), 7));
        Assert.Contains("twice", Assert.Throws<ModelFormatException>(() => UnigramModel.FromCounts(list)).Message);
    }

    [SkippableFact]
    public void DuplicateId_NamesBothPieces()
    {
        var e = Rejects(Json(ByteEntries().Append(("YWI=", "[300, \"ab\", 5]")).Append(("YmM=", "[300, \"bc\", 5]"))));
        Assert.Contains("id 300", e.Message);
        Assert.Contains("\"ab\"", e.Message);
        Assert.Contains("\"bc\"", e.Message);
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-5)]
    public void ReservedOrNegativeId_IsRejected(int id)
    {
        var e = Rejects(Json(ByteEntries().Append(("YWI=", $"[{id}, \"ab\", 5]"))));
        Assert.Contains($"id {id}", e.Message);
        Assert.Contains("reserved", e.Message);
    }

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("-3")]
    public void NonPositiveCount_IsNamed(string count)
    {
        var e = Rejects(Json(ByteEntries().Append(("YWI=", $"[300, \"ab\", {count}]"))));
        Assert.Contains($"count {count}", e.Message);
        Assert.Contains("\"ab\"", e.Message);
        Assert.Contains("id 300", e.Message);
    }

    [SkippableTheory]
    [InlineData("{\"YWI=\": [300, \"ab\", 5]", "malformed")]
    [InlineData("{\"YWJ=\": [300, \"ab\", 5]}", "base64")]
    [InlineData("{\"\xff\": [300, \"ab\", 5]}", "base64")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("", "empty")]
    [InlineData(" \n", "empty")]
    [InlineData("{\"YW*=\": [300, \"ab\", 5]}", "base64")]
    [InlineData("{\"YWI\": [300, \"ab\", 5]}", "base64")]
    [InlineData("{\"YWI=\": 300}", "must be an array")]
    [InlineData("{\"YWI=\": [300]}", "[id, display, count]")]
    [InlineData("{\"YWI=\": [\"x\", \"ab\", 5]}", "[id, display, count]")]
    [InlineData("{\"YWI=\": [300, \"ab\", 5.5]}", "not a 64-bit integer")]
    [InlineData("{\"YWI=\": [300, \"ab\", [5]]}", "flat array")]
    [InlineData("{\"YWI=\": [9999999999, \"ab\", 5]}", "32-bit")]
    [InlineData("{\"YWI=\": [300, \"ab\", 5]} x", "malformed")]
    [InlineData("{\"YWI=\": [300, \"ab\" 5]}", "malformed")]
    public void MalformedJson_SaysWhatAndWhere(string json, string expected)
        => Assert.Contains(expected, Rejects(json).Message);

    [SkippableFact]
    public void InvalidUtf8InAKey_IsAClearError()
    {
        byte[] json = [.. "{\""u8, 0xFF, 0xFE, .. "\": [300, \"ab\", 5]}"u8];
        Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(json));
    }

    [SkippableFact]
    public void TooSparseIds_AreRejected_InsteadOfAllocatingHuge()
        => Assert.Contains("too sparse", Rejects(Json(ByteEntries().Append(("YWI=", "[2000000000, \"ab\", 5]")))).Message);

    [SkippableFact]
    public void TruncatedRealJson_AlwaysGivesModelFormatException()
    {
        byte[] file = File.ReadAllBytes(SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"));
        var rng = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            int cut = rng.Next(0, file.Length - 1);
            Assert.Throws<ModelFormatException>(() => BytePieceJson.Read(file.AsSpan(0, cut)));
        }
    }

    [SkippableFact]
    public void CorruptedRealJson_NeverThrowsAnythingElse()
    {
        byte[] original = File.ReadAllBytes(SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model"));
        var rng = new Random(11);
        int rejected = 0;
        for (int i = 0; i < 40; i++)
        {
            byte[] file = (byte[])original.Clone();
            for (int k = 0; k < 4; k++) file[rng.Next(file.Length)] = (byte)rng.Next(256);
            try { BytePieceJson.Read(file); }
            catch (ModelFormatException) { rejected++; }
        }
        Assert.True(rejected > 20, $"only {rejected} of 40 corruptions were detected");
    }
}
