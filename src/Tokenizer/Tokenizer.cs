namespace BytePiece;

/// <summary>
/// What every tokenizer of this library does, whatever its model family: <see cref="BytePieceTokenizer"/>
/// (BytePiece JSON and native models), <see cref="SentencePieceTokenizer"/> (SentencePiece <c>.model</c>) and
/// <see cref="HuggingFaceTokenizer"/> (<c>tokenizer.json</c>). The members have the names and shapes of
/// Microsoft.ML.Tokenizers' <c>Tokenizer</c>, so code written against one takes any of them;
/// <see cref="Load"/> opens a model file of any of the four formats. Each family adds its own options
/// (specials, sampling, n-best) on its own class. Implementations are immutable and thread-safe.
/// </summary>
public abstract class Tokenizer
{
    /// <summary>Only this library's tokenizers derive from it (their contracts are tested together).</summary>
    private protected Tokenizer()
    {
    }

    /// <summary>Loads a model file, its format detected from its first bytes: a <see cref="BytePieceTokenizer"/> for BytePiece JSON or native, a <see cref="SentencePieceTokenizer"/> for a SentencePiece <c>.model</c>, a <see cref="HuggingFaceTokenizer"/> for a <c>tokenizer.json</c>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid model of a format this library reads.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Tokenizer Load(string path) => ModelFile.ReadFile<Tokenizer>(path, content => ModelFile.Detect(content) switch
    {
        ModelFileFormat.SentencePiece => new SentencePieceTokenizer(SentencePieceModel.FromBytes(content)),
        ModelFileFormat.TokenizerJson => HuggingFaceTokenizer.FromJson(content),
        _ => new BytePieceTokenizer(ModelFile.Load(content)),
    });

    /// <summary>Number of ids (one more than the largest).</summary>
    public abstract int VocabSize { get; }

    /// <summary>Encodes text to ids, with the family's defaults (no specials added, the best segmentation).</summary>
    public abstract IReadOnlyList<int> EncodeToIds(string text);

    /// <summary>Encodes text to tokens: ids, token text, and UTF-16 and UTF-8 ranges in the original text.</summary>
    public abstract IReadOnlyList<EncodedToken> EncodeToTokens(string text);

    /// <summary>The number of ids <see cref="EncodeToIds(string)"/> gives.</summary>
    public virtual int CountTokens(string text) => EncodeToIds(text).Count;

    /// <summary>Decodes ids to text, with the family's defaults (specials dropped).</summary>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>
    /// The end of the longest prefix of <paramref name="text"/> made of at most <paramref name="maxTokenCount"/>
    /// whole tokens of the text's own encoding (so <c>text[..index]</c> fits a token budget without splitting
    /// a token). A cut only falls where a token's range ends and the next one's begins; a token with an
    /// empty range (the first bytes of a character spelled by byte pieces) stays with the token after it.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokenCount">The token budget.</param>
    /// <param name="tokenCount">How many tokens that prefix holds.</param>
    public virtual int GetIndexByTokenCount(string text, int maxTokenCount, out int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokenCount);
        IReadOnlyList<EncodedToken> tokens = EncodeToTokens(text);
        int index = 0;
        tokenCount = 0;
        for (int k = 0; k < tokens.Count && k < maxTokenCount; k++)
        {
            int end = tokens[k].Offset.End.Value;
            if (k + 1 < tokens.Count && !CleanCutBetween(tokens[k], tokens[k + 1])) continue; // inside a character spelled by several tokens
            index = end;
            tokenCount = k + 1;
        }
        if (tokenCount == tokens.Count) index = text.Length; // every token fits: the whole text
        return index;
    }

    /// <summary>
    /// The start of the longest suffix of <paramref name="text"/> made of at most <paramref name="maxTokenCount"/>
    /// whole tokens of the text's own encoding.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokenCount">The token budget.</param>
    /// <param name="tokenCount">How many tokens that suffix holds.</param>
    public virtual int GetIndexByTokenCountFromEnd(string text, int maxTokenCount, out int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokenCount);
        IReadOnlyList<EncodedToken> tokens = EncodeToTokens(text);
        int index = text.Length;
        tokenCount = 0;
        for (int k = tokens.Count - 1, used = 1; k >= 0 && used <= maxTokenCount; k--, used++)
        {
            int start = tokens[k].Offset.Start.Value;
            if (k > 0 && !CleanCutBetween(tokens[k - 1], tokens[k])) continue;
            index = start;
            tokenCount = used;
        }
        if (tokenCount == tokens.Count) index = 0;
        return index;
    }

    /// <summary>Whether the text can be cut between two consecutive tokens: the first has a range of its own, ending where the second's begins or before.</summary>
    private static bool CleanCutBetween(EncodedToken before, EncodedToken after)
        => before.Offset.End.Value > before.Offset.Start.Value && after.Offset.Start.Value >= before.Offset.End.Value;
}
