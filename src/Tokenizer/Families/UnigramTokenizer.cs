using System.Buffers;
using BytePiece.Decoding;
using BytePiece.Families;
using BytePiece.Lattice;
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

    // ---- the segmentation distribution, the same shape on every family --------------------------

    /// <summary>
    /// Encodes text with a segmentation drawn from <c>P(w)^alpha / Z</c> (the family's model probability:
    /// BytePiece's piece probabilities, or <c>exp(score)</c> for SentencePiece and tokenizer.json models, spm's
    /// meaning of alpha), exactly; <see cref="SamplingOptions.IsViterbi"/> options give the Viterbi result. The
    /// draw depends only on the seed, <see cref="SamplingOptions.FirstChunk"/> and the text. No specials are added.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is above <see cref="SamplingOptions.MaxAlpha"/>.</exception>
    public abstract IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling);

    /// <summary>The <paramref name="k"/> most probable segmentations of the text, best first (each family's class says how it orders exact ties).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public IReadOnlyList<Segmentation> NBest(string text, int k) => NBest(text, k, CancellationToken.None);

    /// <summary>The <paramref name="k"/> most probable segmentations of the text (as <see cref="NBest(string, int)"/>), stopping when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public abstract IReadOnlyList<Segmentation> NBest(string text, int k, CancellationToken cancellationToken);

    /// <summary>
    /// spm's <c>sample_encode_and_score</c>: <paramref name="numSamples"/> segmentations of the text drawn from
    /// <c>P(w)^alpha / Z</c> over the text's lattice (BytePiece: its chunks' lattices end to end; tokenizer.json:
    /// its words' lattices end to end, added tokens fixed), each with a score. With replacement, independent draws
    /// scored by their log-probability. Without replacement, distinct segmentations (successive sampling: each
    /// next one drawn from the rest in proportion to its probability), exactly, by the Gumbel-top-k trick, scored
    /// by spm's estimate of the log probability of being in the sample (<c>log(1 - exp(-exp(log p - kappa)))</c>,
    /// kappa the first left-out perturbed value), so that the sum of <c>f(w) * p(w) / exp(score)</c> over the
    /// sample estimates <c>E[f]</c> without bias. With <paramref name="includeBest"/> (without replacement only)
    /// the Viterbi segmentation comes first with score 0 and the others are drawn from the rest. A text with no
    /// more segmentations than asked for returns all of them, each with score 0. Empty text gives no samples.
    /// Draws depend only on the seed, <see cref="SamplingOptions.FirstChunk"/> and the text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or above <see cref="SamplingOptions.MaxAlpha"/>, or <paramref name="numSamples"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="includeBest"/> without <paramref name="withoutReplacement"/> (spm refuses it too).</exception>
    public IReadOnlyList<ScoredSegmentation> SampleEncodeAndScore(string text, SamplingOptions sampling, int numSamples,
        bool withoutReplacement = false, bool includeBest = false)
        => [.. EnumerateSampleEncodeAndScore(text, sampling, numSamples, withoutReplacement, includeBest)];

    /// <summary>
    /// The segmentations of <see cref="SampleEncodeAndScore"/>, made as they are enumerated: with replacement one
    /// draw at a time (memory independent of <paramref name="numSamples"/>); without replacement the exact search
    /// runs on the first step and keeps only the paths' tokens, within <see cref="SamplingOptions.MaxSearchHypotheses"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or above <see cref="SamplingOptions.MaxAlpha"/>, or <paramref name="numSamples"/> is below 1 (thrown by the call).</exception>
    /// <exception cref="ArgumentException"><paramref name="includeBest"/> without <paramref name="withoutReplacement"/> (thrown by the call).</exception>
    /// <exception cref="InputLimitExceededException">Without replacement: the search would need more than <see cref="SamplingOptions.MaxSearchHypotheses"/> hypotheses (thrown on the first step, before any sample).</exception>
    public IEnumerable<ScoredSegmentation> EnumerateSampleEncodeAndScore(string text, SamplingOptions sampling, int numSamples,
        bool withoutReplacement = false, bool includeBest = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        SamplingOptions.CheckAlpha(sampling.Alpha);
        LatticeDraws.CheckSampleArguments(numSamples, withoutReplacement, includeBest);
        return Samples(text, sampling, numSamples, withoutReplacement, includeBest);
    }

    /// <summary>The family's draws for <see cref="EnumerateSampleEncodeAndScore"/> (arguments already checked), made lazily.</summary>
    private protected abstract IEnumerable<ScoredSegmentation> Samples(string text, SamplingOptions sampling, int numSamples, bool withoutReplacement, bool includeBest);

    /// <summary>
    /// The Shannon entropy (in nats) of the segmentation distribution <c>P(w)^alpha / Z</c> of the text, exactly,
    /// from forward-backward passes (independent chunks or words add).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or above <see cref="SamplingOptions.MaxAlpha"/>.</exception>
    public abstract double Entropy(string text, double alpha);

    /// <summary>
    /// For every piece occurrence in the text's lattice, the probability that it appears in a segmentation drawn
    /// from <c>P(w)^alpha / Z</c> (forward-backward), ordered by start. Offsets are byte offsets into the text as
    /// the model reads it (each family's class says which bytes); at every byte, the occurrences covering it sum to 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or above <see cref="SamplingOptions.MaxAlpha"/>.</exception>
    public abstract IReadOnlyList<PieceMarginal> Marginals(string text, double alpha);

    // ---- the prompt lattice (BytePiece.LmTools' continuation fix) -----------------------------

    /// <summary>The lattice of a text prompt read as the beginning of a longer text (normalized as the model says).</summary>
    /// <exception cref="ArgumentException">The prompt holds a lone surrogate (its bytes would be U+FFFD, not the user's text).</exception>
    public PromptLattice PreparePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        for (int i = 0; i < prompt.Length; i++)
        {
            if (char.IsHighSurrogate(prompt[i]) && i + 1 < prompt.Length && char.IsLowSurrogate(prompt[i + 1])) { i++; continue; }
            if (char.IsSurrogate(prompt[i])) throw new ArgumentException($"the prompt has a lone surrogate at index {i}", nameof(prompt));
        }
        return PromptOf(prompt);
    }

    /// <summary>
    /// The lattice of a prompt given as bytes: taken as they are by a BytePiece model, read as UTF-8 text and
    /// normalized by a SentencePiece model (malformed bytes become U+FFFD, as spm reads them) and by a tokenizer.json
    /// model (malformed bytes are refused).
    /// </summary>
    /// <exception cref="ArgumentException">A tokenizer.json model and bytes that are not valid UTF-8.</exception>
    public abstract PromptLattice PreparePrompt(ReadOnlySpan<byte> prompt);

    /// <summary>The family's lattice of a text prompt (lone surrogates already refused).</summary>
    private protected abstract PromptLattice PromptOf(string prompt);

    /// <summary>
    /// The bytes <paramref name="id"/> spells in the space the model reads text in (the space of
    /// <see cref="PromptLattice.Prompt"/>): a BytePiece piece's bytes; a SentencePiece or tokenizer.json piece's
    /// normalized UTF-8 (U+2581 for a space), a <c>&lt;0xNN&gt;</c> byte piece as the byte NN. Null for an id that
    /// text never produces by the model (BytePiece's specials; spm's control, unknown and unused pieces;
    /// tokenizer.json's added tokens and unknown id).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not below <see cref="VocabSize"/>.</exception>
    public abstract byte[]? GetPieceSpelling(int id);

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
