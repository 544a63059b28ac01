using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace BytePiece.Tests;

/// <summary>A random small vocabulary (all 256 bytes plus multi-byte pieces) and texts drawn from the same bytes.</summary>
public sealed record VocabCase(UnigramModel Model, byte[][] Texts)
{
    public override string ToString()
        => $"{Model.PieceCount} pieces; texts: " + string.Join(" | ", Texts.Select(t => Convert.ToHexString(t)));
}

internal static class TestVocab
{
    /// <summary>
    /// Bytes that make overlapping matches likely: ASCII letters, '\n' and '\r', UTF-8 of CJK, accented
    /// and emoji characters, and stray continuation / invalid bytes.
    /// </summary>
    private static readonly byte[] Alphabet =
        [(byte)'a', (byte)'b', (byte)'c', (byte)' ', (byte)'\n', (byte)'\r', 0xE4, 0xB8, 0xAD, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0xFF];

    /// <summary>Counts from a small set, so that equal scores (exact ties) are common.</summary>
    private static readonly long[] Counts = [1, 1, 1, 2, 3, 4, 100];

    public static Gen<byte> AlphabetByte => Gen.Frequency((6, Gen.Elements(Alphabet.Take(4).ToArray())), (4, Gen.Elements(Alphabet)), (1, Gen.Choose(0, 255).Select(i => (byte)i)));

    public static Gen<byte[]> Text(int maxLength) => Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(AlphabetByte, n));

    public static Gen<UnigramModel> Model =>
        from pieceCount in Gen.Choose(0, 40)
        from pieces in Gen.ListOf(Gen.Choose(2, 5).SelectMany(n => Gen.ArrayOf(AlphabetByte, n)), pieceCount)
        from multiCounts in Gen.ArrayOf(Gen.Elements(Counts), pieceCount)
        from byteCounts in Gen.ArrayOf(Gen.Elements(Counts), 256)
        select Build(pieces, multiCounts, byteCounts);

    public static Gen<VocabCase> Case(int maxTextLength, int texts = 4) =>
        from model in Model
        from t in Gen.ArrayOf(Text(maxTextLength), texts)
        select new VocabCase(model, t);

    private static UnigramModel Build(IReadOnlyList<byte[]> pieces, long[] multiCounts, long[] byteCounts)
    {
        var counts = new Dictionary<string, KeyValuePair<byte[], long>>();
        for (int b = 0; b < 256; b++) counts[Convert.ToHexString([(byte)b])] = new([(byte)b], byteCounts[b]);
        for (int i = 0; i < pieces.Count; i++) counts.TryAdd(Convert.ToHexString(pieces[i]), new(pieces[i], multiCounts[i]));
        return UnigramModel.FromCounts(counts.Values);
    }

    /// <summary>Runs a property with a fixed seed so failures reproduce.</summary>
    public static void Check<T>(Gen<T> gen, Func<T, bool> property, int maxTest = 300, ulong seed = 20261123)
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(maxTest)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        FsCheck.Check.One(config, Prop.ForAll(Arb.From(gen), property));
    }
}
