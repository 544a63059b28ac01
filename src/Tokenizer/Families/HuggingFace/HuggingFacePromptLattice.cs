namespace BytePiece.Families.HuggingFace;

/// <summary>
/// A tokenizer.json model's prompt lattice, in the pipeline's normalized space: the words the normalizer and
/// pre-tokenizer make of the prompt read as the beginning of a longer text; only the last word is open (added
/// tokens and earlier words are final); its lattice is solved once for every cut.
/// </summary>
internal sealed class HuggingFacePromptLattice : PromptLattice
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly List<int> _finalIds;
    private readonly byte[] _word;
    private readonly int[] _back;

    private HuggingFacePromptLattice(HuggingFaceTokenizer tokenizer, (List<int> FinalIds, byte[] FinalBytes, byte[] OpenWord) split)
        : base([.. split.FinalBytes, .. split.OpenWord], split.FinalBytes.Length)
    {
        _tokenizer = tokenizer;
        (_finalIds, _, _word) = split;
        _back = tokenizer.WordBack(_word);
    }

    public HuggingFacePromptLattice(HuggingFaceTokenizer tokenizer, string prompt)
        : this(tokenizer, tokenizer.SplitPrompt(prompt))
    {
    }

    public override bool IsNode(int position) =>
        position >= OpenStart && position <= Prompt.Length && (position == Prompt.Length || (Prompt[position] & 0xC0) != 0x80);

    public override IReadOnlyList<int> TokenStarts() =>
        [.. _tokenizer.PathInWord(_word, _back, _word.Length).EdgeStarts.Select(s => OpenStart + s)];

    public override IReadOnlyList<int> IdsBefore(int cut)
    {
        if (!IsNode(cut)) throw new ArgumentOutOfRangeException(nameof(cut), cut, $"{cut} is not a node of the open part");
        return [.. _finalIds, .. _tokenizer.PathInWord(_word, _back, cut - OpenStart).Ids];
    }
}
