using System.Text;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Microsoft.ML.Tokenizers' <see cref="Tokenizer"/> surface: <see cref="TokenizerFile.Load"/> picks the family from the file's
/// first bytes, the base members give what the family's own members give, and the token-budget cuts of the
/// base (from offsets) fall between whole tokens, are maximal and monotonic, for every family.
/// </summary>
public class TokenizerBaseTests
{
    private static readonly Lazy<string> s_files = new(() => RunFolder.NewFolder("tokenizer-base"));

    /// <summary>A model file of each kind: (path, expected type).</summary>
    private static (string Path, Type Type) File(string kind)
    {
        string dir = s_files.Value;
        switch (kind)
        {
            case "default.bpm":
                string bpm = Path.Combine(dir, "default.bpm");
                if (!System.IO.File.Exists(bpm)) System.IO.File.WriteAllBytes(bpm, DefaultModel.GetFileBytes());
                return (bpm, typeof(BytePieceTokenizer));
            case "bytepiece.json":
                return (BytePiece.Testing.SharedFolder.BytePieceModelPath("bytepiece.eu.plus.40k.model"), typeof(BytePieceTokenizer));
            case "spm":
                return (SentencePiecePeer.ModelPath("nfkc_byte_fallback"), typeof(SentencePieceTokenizer));
            default:
                string json = Path.Combine(dir, "tokenizer.json");
                if (!System.IO.File.Exists(json)) TokenizerJsonWriter.Write(ModelFile.LoadSentencePiece(SentencePiecePeer.ModelPath("nfkc_byte_fallback")), json);
                return (json, typeof(HuggingFaceTokenizer));
        }
    }

    public static TheoryData<string> Kinds => new() { "default.bpm", "bytepiece.json", "spm", "tokenizer.json" };

    private static IEnumerable<string> Texts() =>
        SentencePiecePeer.TextLines(40).Concat(["", " ", "a", "広州的白云机场 is an airport. 𝄞 ⁇ <s>", "tab\there  two  spaces "]);

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void Load_DetectsTheFamily_AndTheBaseMembersEqualTheFamilys(string kind)
    {
        var (path, type) = File(kind);
        Tokenizer tokenizer = TokenizerFile.Load(path);
        Assert.IsType(type, tokenizer);
        foreach (string text in Texts())
        {
            IReadOnlyList<int> ids = tokenizer.EncodeToIds(text);
            IReadOnlyList<EncodedToken> tokens = tokenizer.EncodeToTokens(text, out _);
            Assert.Equal(ids, tokens.Select(t => t.Id));
            Assert.Equal(ids.Count, tokenizer.CountTokens(text));
            switch (tokenizer)
            {
                case BytePieceTokenizer b:
                    Assert.Equal(b.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false), ids);
                    Assert.Equal(b.Decode(ids, DecodePolicy.Replace, skipSpecialTokens: true), tokenizer.Decode(ids));
                    Assert.Equal(text.Normalize(NormalizationForm.FormC), tokenizer.Decode(ids));
                    break;
                case SentencePieceTokenizer s:
                    Assert.Equal(s.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false), ids);
                    Assert.Equal(s.Decode(ids), tokenizer.Decode(ids));
                    break;
                case HuggingFaceTokenizer h:
                    Assert.Equal(h.EncodeToIds(text, addSpecialTokens: false), ids);
                    Assert.Equal(h.Decode(ids, skipSpecialTokens: true), tokenizer.Decode(ids));
                    break;
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void TokenBudgetCuts_FallBetweenWholeTokens_AreMaximal_AndMonotonic(string kind)
    {
        Tokenizer tokenizer = TokenizerFile.Load(File(kind).Path);
        int cuts = 0;
        foreach (string text in Texts().Take(60))
        {
            IReadOnlyList<EncodedToken> tokens = tokenizer.EncodeToTokens(text, out _);
            int previous = 0, previousFromEnd = text.Length;
            for (int budget = 0; budget <= tokens.Count + 1; budget++)
            {
                int index = tokenizer.GetIndexByTokenCount(text, budget, out _, out int count);
                int start = tokenizer.GetIndexByTokenCountFromEnd(text, budget, out _, out int countFromEnd);
                Assert.InRange(count, 0, Math.Min(budget, tokens.Count));
                Assert.InRange(countFromEnd, 0, Math.Min(budget, tokens.Count));
                Assert.True(index >= previous && start <= previousFromEnd, "cuts move monotonically with the budget");
                (previous, previousFromEnd) = (index, start);
                if (budget >= tokens.Count)
                {
                    Assert.Equal((text.Length, tokens.Count), (index, count));
                    Assert.Equal((0, tokens.Count), (start, countFromEnd));
                    continue;
                }
                // The prefix holds exactly the first `count` tokens: they end by the cut, the rest begin at or after it.
                if (count > 0) Assert.True(tokens[count - 1].Offset.End.Value <= index);
                Assert.All(tokens.Skip(count), t => Assert.True(t.Offset.Start.Value >= index));
                Assert.All(tokens.Take(countFromEnd == 0 ? tokens.Count : tokens.Count - countFromEnd), t => Assert.True(t.Offset.End.Value <= start));
                if (tokenizer is BytePieceTokenizer)
                {
                    // BytePiece's own cuts are exact (stricter than offsets: NFC and split characters): the prefix re-encodes to those tokens.
                    Assert.Equal(tokens.Take(count).Select(t => t.Id), tokenizer.EncodeToIds(text[..index]));
                    Assert.Equal(tokens.Skip(tokens.Count - countFromEnd).Select(t => t.Id), tokenizer.EncodeToIds(text[start..]));
                }
                else // maximal: no clean cut is left before the budget runs out
                    Assert.True(count == budget || NoCleanCutBetween(tokens, count, budget), $"{kind}: \"{text}\" budget {budget} stopped at {count}");
                cuts++;
            }
        }
        Assert.True(cuts > 200);
    }

    /// <summary>
    /// The distribution API has one shape on every family (UnigramTokenizer): the first of the n-best is the
    /// Viterbi result (with its tokens' offsets), a draw at alpha below 0 is too, sample-and-score with includeBest starts with it at score 0,
    /// and the entropy is 0 exactly when the text has one segmentation (n-best of 2 gives 1).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void TheDistributionApi_HasOneShapeOnEveryFamily(string kind)
    {
        UnigramTokenizer tokenizer = TokenizerFile.Load(File(kind).Path);
        int checkedTexts = 0;
        foreach (string text in Texts().Take(25).Where(t => t.Trim().Length > 0))
        {
            IReadOnlyList<int> viterbi = tokenizer.EncodeToIds(text);
            IReadOnlyList<Segmentation> best = tokenizer.NBest(text, 3);
            Assert.Equal(viterbi, best[0].Ids);
            Assert.True(best.Zip(best.Skip(1)).All(p => p.First.LogProb >= p.Second.LogProb), "n-best comes best first");
            // Each segmentation carries its tokens' offsets; the best one's are EncodeToTokens' offsets.
            Assert.Equal(tokenizer.EncodeToTokens(text, out _).Select(t => t.Offset), best[0].Offsets);
            Assert.All(best, b =>
            {
                Assert.Equal(b.Ids.Count, b.Offsets.Count);
                Assert.True(b.Offsets.Zip(b.Offsets.Skip(1)).All(p => p.First.Start.Value <= p.Second.Start.Value), "offsets come in order");
                Assert.All(b.Offsets, r => Assert.InRange(r.End.Value, r.Start.Value, text.Length));
            });
            Assert.Equal(viterbi, tokenizer.EncodeToIds(text, new SamplingOptions(-1, 7)));
            var draws = tokenizer.SampleEncodeAndScore(text, new SamplingOptions(0.5, 7), 3, withoutReplacement: true, includeBest: true);
            Assert.Equal(viterbi, draws[0].Ids);
            Assert.Equal(0.0, draws[0].Score);
            Assert.Equal(draws.Count, draws.Select(d => string.Join(' ', d.Ids)).Distinct().Count());
            double entropy = tokenizer.Entropy(text, 1.0);
            Assert.True(entropy >= 0);
            Assert.Equal(best.Count == 1, entropy < 1e-12);
            checkedTexts++;
        }
        Assert.True(checkedTexts >= 20);
    }

    /// <summary>
    /// Marginals on every family: each piece occurrence's probability is in [0, 1], and at every byte of the text
    /// as the model reads it the occurrences covering it sum to 1 (each segmentation covers each byte once), to
    /// 1e-9 at alpha 0, 0.3 and 1.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void Marginals_CoverEveryByteWithProbabilityOne_OnEveryFamily(string kind)
    {
        UnigramTokenizer tokenizer = TokenizerFile.Load(File(kind).Path);
        int bytes = 0;
        foreach (string text in Texts().Take(20))
            foreach (double alpha in new[] { 0.0, 0.3, 1.0 })
            {
                IReadOnlyList<PieceMarginal> marginals = tokenizer.Marginals(text, alpha);
                Assert.All(marginals, m => Assert.InRange(m.Probability, 0.0, 1.0 + 1e-12));
                int length = marginals.Count == 0 ? 0 : marginals.Max(m => m.End);
                var covered = new double[length];
                foreach (PieceMarginal m in marginals)
                {
                    Assert.True(m.Start < m.End, "an occurrence spans at least one byte");
                    Assert.InRange(m.Id, -1, tokenizer.VocabSize - 1);
                    for (int b = m.Start; b < m.End; b++) covered[b] += m.Probability;
                }
                Assert.All(covered, c => Assert.Equal(1.0, c, 1e-9));
                bytes += length;
            }
        Assert.True(bytes > 1000);
    }

    /// <summary>No position after token j (count &lt; j &lt;= budget) is a clean cut: every one of them is inside a character spelled by several tokens.</summary>
    private static bool NoCleanCutBetween(IReadOnlyList<EncodedToken> tokens, int count, int budget)
    {
        for (int j = count + 1; j <= budget && j < tokens.Count; j++)
        {
            EncodedToken before = tokens[j - 1], after = tokens[j];
            if (before.Offset.End.Value > before.Offset.Start.Value && after.Offset.Start.Value >= before.Offset.End.Value) return false;
        }
        return true;
    }
}
