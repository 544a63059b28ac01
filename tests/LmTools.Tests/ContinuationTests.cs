using System.Text;
using BytePiece.LmTools.Continuation;
using BytePiece.LmTools.Sampling;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// The continuation fix: its invariants on random toy vocabularies (fixed seeds) and on a real model; the
/// property that defines it (the canonical encoding of any text stays reachable from any prefix's plan);
/// and a mock LM's draws under the mask following p(t) / sum over allowed p (chi-square, p &gt; 1e-3).
/// </summary>
public class ContinuationTests(ITestOutputHelper output)
{
    private static readonly byte[] Alphabet = "abc\n"u8.ToArray();

    /// <summary>All 256 bytes plus random multi-byte pieces over a small alphabet, with random counts.</summary>
    private static BytePieceTokenizer ToyTokenizer(Random random)
    {
        var pieces = new Dictionary<string, long>();
        for (int b = 0; b < 256; b++) pieces[Convert.ToBase64String(new[] { (byte)b })] = random.Next(1, 50);
        int extra = random.Next(5, 40);
        for (int k = 0; k < extra; k++)
        {
            byte[] piece = RandomText(random, random.Next(2, 6), newlines: false);
            pieces[Convert.ToBase64String(piece)] = random.Next(1, 200);
        }
        var model = UnigramModel.FromCounts(pieces.Select(kv => new KeyValuePair<byte[], long>(Convert.FromBase64String(kv.Key), kv.Value)), TextNormalization.None);
        return new BytePieceTokenizer(model);
    }

    private static byte[] RandomText(Random random, int length, bool newlines = true)
        => Enumerable.Range(0, length).Select(_ => Alphabet[random.Next(newlines ? Alphabet.Length : Alphabet.Length - 1)]).ToArray();

    private static byte[] Bytes(BytePieceTokenizer tokenizer, IEnumerable<int> ids) => tokenizer.DecodeBytes([.. ids]);

    private static readonly Lazy<BytePieceTokenizer> s_real = new(() => new BytePieceTokenizer(ModelFile.Load(SharedFolder.BytePieceModelPath("bytepiece.eu.plus.40k.model"))));
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BytePieceTokenizer, ContinuationFix> s_fixes = new();

    private static BytePieceTokenizer RealTokenizer() => s_real.Value;

    private static ContinuationFix Fix(BytePieceTokenizer tokenizer) => s_fixes.GetValue(tokenizer, t => new ContinuationFix(t));

    [SkippableFact]
    public void ToyVocabularies_PlanInvariants_AllowedSets_AndCompletion()
    {
        var random = new Random(20261201);
        int plans = 0;
        for (int round = 0; round < 150; round++)
        {
            var tokenizer = ToyTokenizer(random);
            var fix = new ContinuationFix(tokenizer);
            VocabularyView v = fix.Vocabulary;
            byte[] prompt = RandomText(random, random.Next(1, 14));
            foreach (RollbackMode mode in Enum.GetValues<RollbackMode>())
                foreach (ContinuationPlan plan in fix.PlanAll(prompt, new ContinuationOptions { Mode = mode, MaxRollbackTokens = random.Next(1, 5) }))
                {
                    plans++;
                    // 1. The kept prefix and the forced bytes make the prompt.
                    Assert.Equal(prompt, (byte[])[.. Bytes(tokenizer, plan.PrefixIds), .. plan.ForcedBytes]);
                    // The prefix is the best path to the cut: what encoding the prompt's first Cut bytes gives.
                    Assert.Equal(tokenizer.EncodeBytes(prompt.AsSpan(0, plan.Cut)), plan.PrefixIds);
                    // 2. Allowed sets (exhaustive), the mask, and completion.
                    ConstraintChecks.AllowedSetsMaskAndCompletion(plan, v, prompt, random);
                }
        }
        output.WriteLine($"toy vocabularies: 150 rounds, {plans} plans checked (prefix + forced == prompt, allowed sets exhaustive, completion)");
    }

    [SkippableFact]
    public void CanonicalEncodingOfAnyText_IsReachable_FromThePlanOfAnyPrefix()
    {
        var random = new Random(20261202);
        int checks = 0;
        for (int round = 0; round < 200; round++)
        {
            var tokenizer = ToyTokenizer(random);
            Check(tokenizer, RandomText(random, random.Next(2, 24)), random.Next(1, 24), ref checks);
        }
        var real = RealTokenizer();
        Prerequisites.Require(Prerequisite.Corpora);
        byte[] corpus = SharedFolder.Corpus("zh", 200_000).Concat(SharedFolder.Corpus("en", 200_000)).ToArray();
        for (int k = 0; k < 300; k++)
        {
            int at = random.Next(corpus.Length - 200);
            Check(real, corpus[at..(at + 120)], random.Next(1, 120), ref checks);
        }
        output.WriteLine($"{checks} (text, split) pairs: the canonical encoding was reachable from every prefix's plan");
    }

    /// <summary>
    /// T's canonical tokens, cut at s: k* is the start of the token covering byte s-1. Some plan of T[..s]
    /// must cut at k*, keep exactly T's tokens before k*, and allow T's token at k* (single-step).
    /// </summary>
    private static void Check(BytePieceTokenizer tokenizer, byte[] text, int split, ref int checks)
    {
        split = Math.Clamp(split, 1, text.Length);
        int[] canonical = tokenizer.EncodeBytes(text);
        int position = 0, index = 0;
        while (position + tokenizer.Model.GetPieceBytes(canonical[index]).Length < split)
            position += tokenizer.Model.GetPieceBytes(canonical[index++]).Length;
        int tokenEnd = position + tokenizer.Model.GetPieceBytes(canonical[index]).Length;
        int kStar = tokenEnd == split ? split : position;
        var plans = Fix(tokenizer).PlanAll(text.AsSpan(0, split), new ContinuationOptions { Mode = RollbackMode.Exact, MaxRollbackTokens = 1000, AllowEmptyPrefix = true });
        ContinuationPlan plan = Assert.Single(plans, p => p.Cut == kStar);
        Assert.Equal(canonical.Take(kStar == split ? index + 1 : index), plan.PrefixIds);
        if (kStar < split) Assert.True(plan.CreateConstraint().IsAllowed(canonical[index]), "the canonical token at the cut is not allowed");
        checks++;
    }

    [SkippableFact]
    public void RealModel_WordPrefix_AllowsTheLongerWords_AndNothingElse()
    {
        var tokenizer = RealTokenizer();
        var fix = Fix(tokenizer);
        foreach (string prompt in new[] { "We were watch", "中华人民共", "def comp" })
        {
            ContinuationPlan plan = fix.Plan(prompt);
            Assert.False(plan.IsNoOp);
            ContinuationConstraint c = plan.CreateConstraint();
            var words = c.AllowedIds().Select(id => Encoding.UTF8.GetString(fix.Vocabulary.GetBytes(id))).ToList();
            Assert.Contains(words, w => w.Length > Encoding.UTF8.GetString(plan.ForcedBytes).Length);
            Assert.All(c.AllowedIds(), id => Assert.True(fix.Vocabulary.GetBytes(id).StartsWith(plan.ForcedBytes)));
            output.WriteLine($"\"{prompt}\": keep {plan.PrefixIds.Count} tokens, re-type \"{Encoding.UTF8.GetString(plan.ForcedBytes)}\"; "
                + $"{words.Count} allowed, e.g. {string.Join(", ", words.OrderByDescending(w => w.Length).Take(5).Select(w => $"\"{w}\""))}");
        }
        // The article's case: the whole text's own encoding is reachable from one of the exact plans.
        int[] whole = tokenizer.EncodeBytes("We were watching"u8);
        Assert.Contains(fix.PlanAll("We were watch"), p => !p.IsNoOp && whole.Take(p.PrefixIds.Count).SequenceEqual(p.PrefixIds)
            && p.PrefixIds.Count < whole.Length && p.CreateConstraint().IsAllowed(whole[p.PrefixIds.Count]));
    }

    [SkippableFact]
    public void NoOp_WhenNothingCanExtend_AndBosNeverRolledBack()
    {
        var tokenizer = RealTokenizer();
        var fix = Fix(tokenizer);
        byte[] lone = [0xFF]; // a byte no longer piece starts with
        Assert.True(fix.Plan(lone, new ContinuationOptions { Mode = RollbackMode.OneToken, AllowEmptyPrefix = true }).IsNoOp);
        ContinuationPlan withBos = fix.Plan("watch", new ContinuationOptions { AddBos = true });
        Assert.Equal(SpecialTokens.BosId, withBos.PrefixIds[0]);
        Assert.False(fix.Plan("watch").PrefixIds.Count == 0 && !fix.Plan("watch").IsNoOp); // no empty prompt unless asked
        Assert.Throws<ArgumentException>(() => fix.Plan("ab\uD800"));
        Assert.Throws<ArgumentException>(() => withBos.CreateConstraint().Advance(SpecialTokens.EosId));
    }

    [SkippableFact]
    public void MockLanguageModel_SamplesUnderTheMask_FollowTheRenormalizedDistribution()
    {
        var fix = Fix(RealTokenizer());
        ContinuationPlan plan = fix.Plan("We were watch");
        // The mock LM: a fixed table of next-token logits (a seeded pseudo-random vector over the vocabulary).
        var random = new Random(20261204);
        float[] table = Enumerable.Range(0, fix.Vocabulary.VocabSize).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        var sampler = new LogitsSampler { TopK = 0, Temperature = 1 };
        var allowed = plan.CreateConstraint().AllowedIds();
        double total = allowed.Sum(id => Math.Exp(table[id]));
        var counts = allowed.ToDictionary(id => id, _ => 0L);
        const int draws = 20_000;
        var rng = new Random(7);
        float[] logits = new float[table.Length];
        for (int i = 0; i < draws; i++)
        {
            table.CopyTo(logits, 0);
            ContinuationConstraint c = plan.CreateConstraint();
            c.ApplyMask<float>(logits);
            int id = sampler.Sample<float>(logits, rng);
            c.Advance(id); // throws if the sampler picked a masked token
            counts[id]++;
        }
        var (p, _, df) = Statistics.ChiSquare([.. allowed.Select(id => (Math.Exp(table[id]) / total, counts[id]))], draws);
        output.WriteLine($"mock LM: {allowed.Count} allowed tokens, {draws:N0} draws, df {df}, p = {p:G3}");
        Assert.True(allowed.Count >= 3 && p > 1e-3, $"p = {p}");
    }
}
