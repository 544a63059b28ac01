using System.Text;

namespace BytePiece.LmTools.Continuation;

/// <summary>
/// SentencePiece models for the continuation fix, which works in spm's normalized space: the prompt is
/// normalized as the beginning of a longer text (trailing spaces kept as one U+2581, no dummy suffix),
/// pieces are their normalized bytes (U+2581 for a space; a <c>&lt;0xNN&gt;</c> piece is the byte NN),
/// nodes are character starts, and the whole prompt is one open sentence. Control, unknown and unused
/// pieces are specials: never allowed under a constraint.
/// </summary>
internal sealed class SentencePiecePromptModel(SentencePieceTokenizer tokenizer) : PromptModel
{
    public override VocabularyView Vocabulary { get; } = new(tokenizer.Model);

    public override int BosId => tokenizer.Model.BosId;

    public override PromptLattice Prepare(string prompt) => new Lattice(tokenizer, tokenizer.NormalizePrompt(Encoding.UTF8.GetBytes(prompt)));

    public override PromptLattice Prepare(ReadOnlySpan<byte> prompt) => new Lattice(tokenizer, tokenizer.NormalizePrompt(prompt));

    private sealed class Lattice : PromptLattice
    {
        private readonly SentencePieceTokenizer.PrefixPaths _paths;

        public Lattice(SentencePieceTokenizer tokenizer, byte[] normalized)
        {
            Prompt = normalized;
            OpenStart = 0;
            _paths = tokenizer.SolvePrefixes(normalized); // one lattice for every cut
        }

        public override bool IsNode(int k) => k == Prompt.Length || (k >= 0 && k < Prompt.Length && (Prompt[k] & 0xC0) != 0x80);

        public override IReadOnlyList<int> TokenStarts() => _paths.PathTo(Prompt.Length).Starts;

        public override List<int>[] PathIds(IReadOnlyList<int> cuts) => [.. cuts.Select(k => _paths.PathTo(k).Ids.ToList())];
    }
}
