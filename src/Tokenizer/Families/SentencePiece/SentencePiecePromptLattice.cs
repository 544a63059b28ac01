namespace BytePiece.Families.SentencePiece;

/// <summary>
/// SentencePiece's prompt lattice, in spm's normalized space: the prompt normalized as the beginning of a longer
/// text (trailing spaces kept as one U+2581, no dummy suffix), nodes at character starts, the whole prompt one open
/// sentence; one Viterbi pass serves every cut.
/// </summary>
internal sealed class SentencePiecePromptLattice(SentencePieceTokenizer tokenizer, byte[] normalized) : PromptLattice(normalized, 0)
{
    private readonly SentencePieceTokenizer.PrefixPaths _paths = tokenizer.SolvePrefixes(normalized);

    public override bool IsNode(int position) => position == Prompt.Length || (position >= 0 && position < Prompt.Length && (Prompt[position] & 0xC0) != 0x80);

    public override IReadOnlyList<int> TokenStarts() => _paths.PathTo(Prompt.Length).Starts;

    public override IReadOnlyList<int> IdsBefore(int cut) => _paths.PathTo(cut).Ids;
}
