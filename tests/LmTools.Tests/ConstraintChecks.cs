using BytePiece.LmTools.Continuation;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>The checks every plan of every model family must pass, shared by the continuation tests.</summary>
internal static class ConstraintChecks
{
    /// <summary>
    /// For single- and multi-step constraints of <paramref name="plan"/>: the allowed set equals an
    /// exhaustive scan (extensions of the forced bytes, plus, multi-step, their non-empty proper prefixes;
    /// never a special or zero-length token; every id for a no-op plan), the mask keeps exactly that set, and after generating until
    /// complete, <paramref name="prompt"/> + the emitted bytes are the bytes of prefix + generated tokens.
    /// </summary>
    public static void AllowedSetsMaskAndCompletion(ContinuationPlan plan, VocabularyView v, byte[] prompt, Random random)
    {
        foreach (bool multi in new[] { false, true })
        {
            ContinuationConstraint c = plan.CreateConstraint(multi);
            var expected = Enumerable.Range(0, v.VocabSize).Where(id => plan.IsNoOp || (!v.IsSpecial(id) && v.GetBytes(id).Length > 0 &&
                (v.GetBytes(id).StartsWith(plan.ForcedBytes) || (multi && plan.ForcedBytes.AsSpan().StartsWith(v.GetBytes(id)))))).ToHashSet();
            Assert.Equal(expected.Order(), c.AllowedIds().Order());
            if (!plan.IsNoOp) Assert.All(c.AllowedIds(), id => Assert.True(v.GetBytes(id).Length > 0 && !v.IsSpecial(id)));
            var mask = Enumerable.Repeat(1f, v.VocabSize).ToArray();
            c.ApplyMask<float>(mask);
            for (int id = 0; id < v.VocabSize; id++) Assert.Equal(plan.IsNoOp || expected.Contains(id), mask[id] == 1f);
            // Generate until complete (and a little more).
            var generated = new List<int>();
            var emitted = new List<byte>();
            for (int step = 0; step < 8 && (!c.IsComplete || step < 3); step++)
            {
                IReadOnlyList<int> allowed = c.AllowedIds();
                int id = allowed[random.Next(allowed.Count)];
                generated.Add(id);
                emitted.AddRange(c.Advance(id).ToArray());
            }
            if (c.IsComplete) Assert.Equal((byte[])[.. prompt, .. emitted], BytesOf(v, plan.PrefixIds.Concat(generated)));
        }
    }

    /// <summary>The bytes a sequence of ids spells in the vocabulary's space (specials spell nothing).</summary>
    public static byte[] BytesOf(VocabularyView v, IEnumerable<int> ids) => [.. ids.SelectMany(id => v.GetBytes(id).ToArray())];
}
