using System.Text;

namespace BytePiece.LmTools.Continuation;

/// <summary>
/// tokenizer.json Unigram models for the continuation fix, in the pipeline's normalized space: the bytes
/// are the words the normalizer and pre-tokenizer make (U+2581 spaces with Metaspace), the prompt is read
/// as the beginning of a longer text, and only its last word is open (no token crosses a word boundary;
/// added tokens and earlier words are final). Pieces are their UTF-8 text, a <c>&lt;0xNN&gt;</c> piece the
/// byte NN (with byte fallback); added tokens and the unknown id are specials.
/// </summary>
internal sealed class HuggingFacePromptModel(HuggingFaceTokenizer tokenizer) : PromptModel
{
    public override VocabularyView Vocabulary { get; } = new(tokenizer);

    /// <summary>tokenizer.json has no beginning-of-sentence piece of its own (its post-processor adds specials).</summary>
    public override int BosId => -1;

    public override PromptLattice Prepare(string prompt) => new Lattice(tokenizer, prompt);

    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 (the pipeline reads text).</exception>
    public override PromptLattice Prepare(ReadOnlySpan<byte> prompt)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(prompt);
        }
        catch (DecoderFallbackException e)
        {
            throw new ArgumentException("the prompt is not valid UTF-8", nameof(prompt), e);
        }
        return new Lattice(tokenizer, text);
    }

    private sealed class Lattice : PromptLattice
    {
        private readonly HuggingFaceTokenizer _tokenizer;
        private readonly List<int> _finalIds;
        private readonly byte[] _word;
        private readonly int[] _back; // the open word's lattice, solved once for every cut

        public Lattice(HuggingFaceTokenizer tokenizer, string prompt)
        {
            _tokenizer = tokenizer;
            (_finalIds, byte[] finalBytes, _word) = tokenizer.SplitPrompt(prompt);
            _back = tokenizer.WordBack(_word);
            OpenStart = finalBytes.Length;
            Prompt = [.. finalBytes, .. _word];
        }

        public override bool IsNode(int k) =>
            k >= OpenStart && k <= Prompt.Length && (k == Prompt.Length || (Prompt[k] & 0xC0) != 0x80);

        public override IReadOnlyList<int> TokenStarts() =>
            [.. _tokenizer.PathInWord(_word, _back, _word.Length).EdgeStarts.Select(s => OpenStart + s)];

        public override List<int>[] PathIds(IReadOnlyList<int> cuts) =>
            [.. cuts.Select(k => (List<int>)[.. _finalIds, .. _tokenizer.PathInWord(_word, _back, k - OpenStart).Ids])];
    }
}
