namespace BytePiece.LmTools.Continuation;

/// <summary>
/// What the continuation fix needs from a model family: its vocabulary as bytes, and the prompt's
/// Viterbi lattice over the bytes the prompt becomes (the space the fix works in: raw bytes for
/// BytePiece, normalized text for SentencePiece and tokenizer.json).
/// </summary>
internal abstract class PromptModel
{
    public abstract VocabularyView Vocabulary { get; }

    /// <summary>The id a prefix starts with when asked (-1: the model has none).</summary>
    public abstract int BosId { get; }

    /// <summary>The lattice of a text prompt (lone surrogates are refused before this is called).</summary>
    public abstract PromptLattice Prepare(string prompt);

    /// <summary>The lattice of a prompt given as bytes.</summary>
    public abstract PromptLattice Prepare(ReadOnlySpan<byte> prompt);
}

/// <summary>
/// A prompt's Viterbi lattice, with the best path to every node. A cut at node k keeps that path: by
/// optimal substructure it is what the encoding of the whole text holds before a token boundary at k.
/// </summary>
internal abstract class PromptLattice
{
    /// <summary>The prompt's bytes in the space the fix works in (what the kept ids and the forced bytes spell).</summary>
    public byte[] Prompt { get; protected init; } = [];

    /// <summary>Where the open part starts (what follows the prompt cannot change the tokens before it); no cut goes before it.</summary>
    public int OpenStart { get; protected init; }

    /// <summary>The start offsets of the tokens of the best path to the prompt's end, in the open part.</summary>
    public abstract IReadOnlyList<int> TokenStarts();

    /// <summary>Whether a path can end at <paramref name="k"/> (a node of the lattice).</summary>
    public abstract bool IsNode(int k);

    /// <summary>The ids of the best path to each cut (all nodes at or after <see cref="OpenStart"/>).</summary>
    public abstract List<int>[] PathIds(IReadOnlyList<int> cuts);
}
