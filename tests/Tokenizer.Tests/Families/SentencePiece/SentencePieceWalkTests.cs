using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// The lattice walks valid UTF-8 a character per step over a character-labelled trie, where spm walks
/// bytes. Both must hand over the very same edges (end, id, score) in the very same order, since the
/// float ties depend on that order: checked on every model of the matrix, on real lines of every source,
/// the edge cases, and random strings built from the models' own pieces and stray characters.
/// </summary>
public class SentencePieceWalkTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => SentencePiecePeer.Models();

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void CharacterWalk_GivesTheByteWalksEdges_InTheSameOrder(string name)
    {
        var tokenizer = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath(name));
        SentencePieceModel model = tokenizer.Model;
        Assert.NotNull(model.CharTrie);
        var texts = new List<byte[]>();
        var normalized = new NormalizedBuffer();
        foreach (byte[] line in SentencePiecePeer.RealLines(300).Concat(SentencePiecePeer.EdgeCases()))
        {
            model.Normalizer.Normalize(line, normalized);
            texts.Add(normalized.Bytes.ToArray());
        }
        // Random concatenations of pieces (every NORMAL and USER_DEFINED piece can show up) and characters
        // no piece holds, written straight to the lattice (no normalizer in between).
        var random = new Random(20261201);
        string[] pieces = [.. Enumerable.Range(0, model.VocabSize).Where(id => model.GetPieceType(id) is SentencePieceType.Normal or SentencePieceType.UserDefined).Select(model.IdToPiece)];
        string[] strays = ["\u00e9", "\u4e2d", "\U0001F600", "\u0301", "x", "\u2581", "\uFFFD", "\u0000"];
        for (int t = 0; t < 2000; t++)
        {
            var sb = new StringBuilder();
            int parts = random.Next(1, 12);
            for (int k = 0; k < parts; k++) sb.Append(random.Next(4) == 0 ? strays[random.Next(strays.Length)] : pieces[random.Next(pieces.Length)]);
            texts.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        long edges = 0;
        int characterWalks = 0;
        foreach (byte[] text in texts)
        {
            if (text.Length == 0) continue;
            LatticeGraph bytes = LatticeGraph.ForSentencePiece(model, text, SentencePieceWalk.Bytes);
            LatticeGraph chars = LatticeGraph.ForSentencePiece(model, text, SentencePieceWalk.Characters);
            Assert.Equal(bytes.First, chars.First);
            Assert.Equal(bytes.End, chars.End);
            Assert.Equal(bytes.Piece, chars.Piece);
            Assert.Equal(bytes.Score, chars.Score);
            edges += bytes.End.Length;
            // The Viterbi result, whichever walk the automatic choice takes, is the byte walk's.
            var scratch = new SentencePieceScratch();
            int count = SentencePieceViterbi.Solve(model, text, scratch);
            if (scratch.BackTrie == model.CharTrie) characterWalks++;
            Assert.Equal(Lattice.NBest.Run(bytes, 1)[0].Pieces.Length, count);
        }
        output.WriteLine($"{name}: {texts.Count} texts, {edges} edges, identical; the automatic choice walked characters on {characterWalks}");
        Assert.True(characterWalks > 0);
    }

    [SkippableFact]
    public void MalformedText_FallsBackToTheByteWalk()
    {
        var tokenizer = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath("test_ja_model.model"));
        byte[] text = [.. Encoding.UTF8.GetBytes("吾輩は"), 0xE7, 0x8C, .. Encoding.UTF8.GetBytes("である")];
        var scratch = new SentencePieceScratch();
        SentencePieceViterbi.Solve(tokenizer.Model, text, scratch);
        Assert.Same(tokenizer.Model.Trie, scratch.BackTrie);
        LatticeGraph forced = LatticeGraph.ForSentencePiece(tokenizer.Model, text, SentencePieceWalk.Characters);
        Assert.Equal(LatticeGraph.ForSentencePiece(tokenizer.Model, text, SentencePieceWalk.Bytes).End, forced.End);
    }
}
