using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace BytePiece;

/// <summary>
/// A Microsoft.ML.Tokenizers <see cref="Tokenizer"/> over a Unigram model of a family this library reads:
/// <see cref="BytePieceTokenizer"/>, <see cref="SentencePieceTokenizer"/> or <see cref="HuggingFaceTokenizer"/>.
/// Every member of ML's base answers through the family's engine: offsets and indices refer to the original
/// text (so <c>normalizedText</c> is always null), a token budget (<c>maxTokenCount</c>,
/// <c>GetIndexByTokenCount</c>) cuts only between whole tokens where the text splits cleanly, and no specials
/// are added. Each family's class says how it takes <c>considerNormalization</c> and
/// <c>considerPreTokenization</c>. Immutable and thread-safe.
/// </summary>
public abstract class UnigramTokenizer : Tokenizer
{
    /// <summary>Only this library's three families derive from it.</summary>
    private protected UnigramTokenizer()
    {
    }

    /// <summary>Number of ids (one more than the largest).</summary>
    public abstract int VocabSize { get; }

    /// <summary>The text's ids (no specials), on the family's fastest path.</summary>
    private protected abstract List<int> EncodeIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings);

    /// <summary>How many ids <see cref="EncodeIds"/> gives (a family may count without a list).</summary>
    private protected virtual int CountIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
        => EncodeIds(text, textSpan, settings).Count;

    /// <summary>The text's tokens (no specials) with ranges into it, and for each whether the text can be cut right after it.</summary>
    private protected abstract List<PieceToken> EncodeTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, out bool[] cleanAfter);

    /// <inheritdoc />
    protected sealed override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        List<PieceToken> tokens = EncodeTokens(text, textSpan, settings, out bool[] clean);
        int end = TokenBudget.Prefix(tokens, clean, text?.Length ?? textSpan.Length, settings.MaxTokenCount, out int count);
        var result = new EncodedToken[count];
        for (int k = 0; k < count; k++) result[k] = new EncodedToken(tokens[k].Id, tokens[k].Value, tokens[k].Offset);
        return new EncodeResults<EncodedToken> { Tokens = result, CharsConsumed = end };
    }

    /// <inheritdoc />
    protected sealed override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MaxTokenCount);
        List<int> ids = EncodeIds(text, textSpan, settings);
        if (ids.Count <= settings.MaxTokenCount) return new EncodeResults<int> { Tokens = ids, CharsConsumed = text?.Length ?? textSpan.Length };
        // Over budget: the offsets say where the longest clean prefix ends.
        EncodeResults<EncodedToken> fitting = EncodeToTokens(text, textSpan, settings);
        return new EncodeResults<int> { Tokens = ids.GetRange(0, fitting.Tokens.Count), CharsConsumed = fitting.CharsConsumed };
    }

    /// <inheritdoc />
    protected sealed override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MaxTokenCount);
        int count = CountIds(text, textSpan, settings);
        return count <= settings.MaxTokenCount ? count : EncodeToTokens(text, textSpan, settings).Tokens.Count;
    }

    /// <inheritdoc />
    protected sealed override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        normalizedText = null;
        List<PieceToken> tokens = EncodeTokens(text, textSpan, settings, out bool[] clean);
        int length = text?.Length ?? textSpan.Length;
        return fromEnd
            ? TokenBudget.Suffix(tokens, clean, length, settings.MaxTokenCount, out tokenCount)
            : TokenBudget.Prefix(tokens, clean, length, settings.MaxTokenCount, out tokenCount);
    }

    /// <summary>Writes the text of the longest run of leading ids that fits, never splitting a character (the text <see cref="Tokenizer.Decode(IEnumerable{int})"/> gives, cut between ids).</summary>
    /// <inheritdoc />
    public sealed override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
        => SpanDecoder.Decode(ids, destination, out idsConsumed, out charsWritten, Decode);
}
