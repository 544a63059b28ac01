using System.IO.Compression;
using System.Text.Json;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Our ids against upstream BytePiece 0.6.3's on its own models (tests/data/golden/bytepiece; the 160k model's case needs the big data).</summary>
public class GoldenBytePieceTests
{
    public static TheoryData<string> Models => new()
    {
        "bytepiece.eu.plus.40k.model",
        "bytepiece.plus.40k.model",
        "bytepiece.eu.plus.160k.model",
    };

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void EncodeToIds_MatchesUpstreamOnEveryGoldenText(string modelName)
    {
        var tokenizer = SharedData.Tokenizer(modelName);
        int checkedCount = 0;
        var mismatches = new List<string>();
        foreach (var (source, text, expected) in ReadGolden(modelName))
        {
            var actual = tokenizer.EncodeToIds(text);
            if (!actual.SequenceEqual(expected))
            {
                int at = 0;
                while (at < Math.Min(actual.Count, expected.Length) && actual[at] == expected[at]) at++;
                mismatches.Add($"{source} text #{checkedCount} ({text.Length} chars): first difference at token {at}");
            }
            checkedCount++;
        }
        Assert.Equal(3020, checkedCount);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n" + string.Join("\n", mismatches.Take(20)));
    }

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void GoldenIds_DecodeBackToNfcText(string modelName)
    {
        var tokenizer = SharedData.Tokenizer(modelName);
        foreach (var (_, text, expected) in ReadGolden(modelName))
        {
            string nfc = text.Normalize(System.Text.NormalizationForm.FormC);
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(nfc), tokenizer.DecodeBytes(expected));
        }
    }

    internal static IEnumerable<(string Source, string Text, int[] Ids)> ReadGolden(string modelName)
    {
        string path = Path.Combine(SharedData.Root, "golden", "bytepiece", "golden.jsonl.gz");
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var ids = root.GetProperty(modelName).EnumerateArray().Select(e => e.GetInt32()).ToArray();
            yield return (root.GetProperty("source").GetString()!, root.GetProperty("text").GetString()!, ids);
        }
    }
}
