using System.Text;
using BytePiece.LmTools.Continuation;
using BytePiece.LmTools.Sampling;
using BytePiece.Testing;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// A generation loop must survive <c>&lt;eos&gt;</c> (issue 24, section 2): once the removed bytes are
/// re-typed every id is allowed and advances (specials emit nothing); before that, <c>&lt;eos&gt;</c> is
/// refused with a reason. The generation loop of docs/lmtools.md runs here as written.
/// </summary>
public class EndOfSequenceTests
{
    private static readonly Lazy<ContinuationFix> s_fix = new(() =>
        new ContinuationFix(new BytePieceTokenizer(ModelFile.Load(SharedFolder.BytePieceModelPath("bytepiece.eu.plus.40k.model")))));

    private static int IdOf(VocabularyView v, string piece)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(piece);
        for (int id = 0; id < v.VocabSize; id++) if (v.GetBytes(id).SequenceEqual(bytes) && !v.IsSpecial(id)) return id;
        throw new InvalidOperationException($"no piece \"{piece}\"");
    }

    [SkippableFact]
    public void AfterCompletion_EosIsAllowed_AndAdvancesWithoutBytes()
    {
        ContinuationFix fix = s_fix.Value;
        ContinuationConstraint c = fix.Plan("We were watch").CreateConstraint();
        Assert.Equal(" watched"u8.ToArray()[..^2], c.Remaining.ToArray()); // " watch" is being re-typed
        Assert.Equal("ed"u8.ToArray(), c.Advance(IdOf(fix.Vocabulary, " watched")).ToArray());
        Assert.True(c.IsComplete);
        Assert.True(c.IsAllowed(SpecialTokens.EosId));
        Assert.Empty(c.Advance(SpecialTokens.EosId).ToArray());
        Assert.Equal(fix.Vocabulary.VocabSize, c.AllowedIds().Count);
        for (int id = 0; id < fix.Vocabulary.VocabSize; id++) Assert.True(c.IsAllowed(id), $"id {id}");
        Assert.Empty(c.Advance(SpecialTokens.PadId).ToArray());
        Assert.Equal(" and"u8.ToArray(), c.Advance(IdOf(fix.Vocabulary, " and")).ToArray());
    }

    [SkippableFact]
    public void NoOpPlan_AllowsEosFromTheFirstStep()
    {
        ContinuationFix fix = s_fix.Value;
        ContinuationPlan plan = fix.Plan([0xFF], new ContinuationOptions { Mode = RollbackMode.OneToken, AllowEmptyPrefix = true });
        Assert.True(plan.IsNoOp);
        ContinuationConstraint c = plan.CreateConstraint();
        Assert.True(c.IsAllowed(SpecialTokens.EosId));
        Assert.Empty(c.Advance(SpecialTokens.EosId).ToArray());
        float[] logits = new float[fix.Vocabulary.VocabSize];
        c.ApplyMask<float>(logits);
        Assert.All(logits, z => Assert.Equal(0f, z)); // nothing masked
    }

    [SkippableFact]
    public void BeforeCompletion_EosIsRefused_WithAReason()
    {
        ContinuationFix fix = s_fix.Value;
        ContinuationConstraint c = fix.Plan("We were watch").CreateConstraint(multiStep: true);
        Assert.False(c.IsAllowed(SpecialTokens.EosId));
        var error = Assert.Throws<ArgumentException>(() => c.Advance(SpecialTokens.EosId));
        Assert.Contains("special", error.Message);
        Assert.Contains("6 removed bytes", error.Message); // " watch" not yet re-typed
        float[] logits = new float[fix.Vocabulary.VocabSize];
        c.ApplyMask<float>(logits);
        Assert.Equal(float.NegativeInfinity, logits[SpecialTokens.EosId]);
        var wrong = Assert.Throws<ArgumentException>(() => c.Advance(IdOf(fix.Vocabulary, " and")));
        Assert.Contains("does not continue", wrong.Message);
    }

    /// <summary>A mock LM whose logits favour &lt;eos&gt; strongly, so every run ends with it within a few steps.</summary>
    private static float[] MockLogits(IReadOnlyList<int> context, int vocabulary)
    {
        var random = new Random(context.Count * 7919 + context[^1]);
        float[] logits = new float[vocabulary];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 4 - 2);
        logits[SpecialTokens.EosId] = 12; // about 0.7 of the mass once allowed
        return logits;
    }

    [SkippableTheory]
    [InlineData("We were watch")]
    [InlineData("def comp")]
    [InlineData("Hello")]
    public void TheReadmeLoop_RunsUntilEos(string prompt)
    {
        ContinuationFix fix = s_fix.Value;
        var sampler = new LogitsSampler { TopK = 0 };
        var random = new Random(24);
        for (int run = 0; run < 20; run++)
        {
            // As in docs/lmtools.md (continuation fix):
            ContinuationPlan plan = fix.Plan(prompt);
            ContinuationConstraint c = plan.CreateConstraint();
            var context = new List<int>(plan.PrefixIds);
            var text = new List<byte>();
            bool ended = false;
            for (int step = 0; step < 64; step++)
            {
                float[] logits = MockLogits(context, fix.Vocabulary.VocabSize); // your LM
                c.ApplyMask<float>(logits);            // <eos> and other specials stay masked until the prompt is re-typed
                int id = sampler.Sample<float>(logits, random);
                context.Add(id);
                text.AddRange(c.Advance(id));          // the bytes beyond the prompt (<eos> adds none)
                if (id == SpecialTokens.EosId) { ended = true; break; }
            }
            Assert.True(ended);
            Assert.True(c.IsComplete);
            Assert.Equal((byte[])[.. Encoding.UTF8.GetBytes(prompt), .. text], ConstraintChecks.BytesOf(fix.Vocabulary, context));
        }
    }
}
