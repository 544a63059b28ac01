namespace BytePiece;

/// <summary>
/// A prompt read as the beginning of a longer text, with the best (Viterbi) path to every node of its lattice:
/// what a constrained decoder needs to back off a prompt that ends inside a token (BytePiece.LmTools'
/// continuation fix). A cut at node k keeps the best path to k: by optimal substructure, that is what the
/// encoding of the whole text holds before a token boundary at k. Made by <see cref="UnigramTokenizer.PreparePrompt(string)"/>.
/// </summary>
public abstract class PromptLattice
{
    private readonly byte[] _prompt;

    private protected PromptLattice(byte[] prompt, int openStart)
    {
        _prompt = prompt;
        OpenStart = openStart;
    }

    /// <summary>
    /// The prompt's bytes in the space the model reads text in, the space of <see cref="UnigramTokenizer.GetPieceSpelling"/>:
    /// the bytes themselves for BytePiece models (text NFC-normalized as the model says), normalized text for
    /// SentencePiece and tokenizer.json models (U+2581 spaces; the prompt normalized as the beginning of a longer text).
    /// </summary>
    public ReadOnlySpan<byte> Prompt => _prompt;

    /// <summary>Where the open part starts: what follows the prompt cannot change the tokens before it (earlier chunks, words or added tokens), so no cut goes before it.</summary>
    public int OpenStart { get; }

    /// <summary>The start offsets (into <see cref="Prompt"/>) of the tokens of the best path to the prompt's end that lie in the open part.</summary>
    public abstract IReadOnlyList<int> TokenStarts();

    /// <summary>Whether a path can end at <paramref name="position"/>: a node of the open part (a byte offset for BytePiece, a character start otherwise).</summary>
    public abstract bool IsNode(int position);

    /// <summary>The ids of the best path to <paramref name="cut"/> (a node), the final part's ids included, after the family's post-processing.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cut"/> is not a node.</exception>
    public abstract IReadOnlyList<int> IdsBefore(int cut);
}
