namespace BytePiece.LmTools.Continuation;

/// <summary>
/// A rollback: the ids to feed the model (<see cref="PrefixIds"/>, the model's best path to the cut) and
/// the prompt bytes after the cut that generation must re-type (<see cref="ForcedBytes"/>). Invariant:
/// the bytes of <see cref="PrefixIds"/> followed by <see cref="ForcedBytes"/> are the normalized prompt.
/// </summary>
/// <param name="PrefixIds">Ids of the kept prefix (with the leading specials asked for).</param>
/// <param name="ForcedBytes">The removed bytes; empty when nothing is rolled back.</param>
/// <param name="Cut">Byte offset of the cut in the normalized prompt.</param>
/// <param name="Vocabulary">The vocabulary the constraint works on.</param>
public sealed record ContinuationPlan(IReadOnlyList<int> PrefixIds, byte[] ForcedBytes, int Cut, VocabularyView Vocabulary)
{
    /// <summary>Whether nothing was rolled back (generation is unconstrained).</summary>
    public bool IsNoOp => ForcedBytes.Length == 0;

    /// <summary>A fresh constraint for one generation.</summary>
    /// <param name="multiStep">Also allow non-empty proper prefixes of the remaining bytes (re-typing them in several tokens, non-canonically).</param>
    public ContinuationConstraint CreateConstraint(bool multiStep = false) => new(Vocabulary, ForcedBytes, multiStep);
}
