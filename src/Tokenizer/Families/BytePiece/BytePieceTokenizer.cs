using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using BytePiece.Families;
using BytePiece.Families.BytePiece;
using BytePiece.Lattice;
using Microsoft.ML.Tokenizers;

namespace BytePiece;

/// <summary>
/// Encodes text to token ids and back with a <see cref="UnigramModel"/>: Viterbi over a byte lattice per
/// chunk, BytePiece semantics. A Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (through <see cref="UnigramTokenizer"/>): every member of
/// the base answers through this engine (offsets into the original text; see docs/ml-tokenizers.md), and the class adds
/// sampling, n-best, entropy, marginals and a bytes API. Immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Through Microsoft.ML.Tokenizers' members: <c>considerNormalization: false</c> skips NFC;
/// <c>considerPreTokenization</c> is ignored (the chunk split at line ends is part of the model: upstream BytePiece
/// cuts there too); no specials are added; <c>normalizedText</c> is null (offsets refer to the input).
/// </remarks>
public sealed class BytePieceTokenizer : UnigramTokenizer
{
    /// <summary>Creates a tokenizer over <paramref name="model"/>.</summary>
    public BytePieceTokenizer(UnigramModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>Loads a model file (BytePiece JSON or the native binary format, detected from its content).</summary>
    /// <exception cref="ModelFormatException">The file is not a valid model; the message says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static BytePieceTokenizer Load(string path) => new(ModelFile.Load(path));

    private static readonly Lazy<BytePieceTokenizer> s_default = new(() => new BytePieceTokenizer(DefaultModel.Instance));

    /// <summary>A tokenizer over the embedded <see cref="DefaultModel"/> (Chinese, English and code; 65,497 ids), shared.</summary>
    public static BytePieceTokenizer Default => s_default.Value;

    /// <summary>The model.</summary>
    public UnigramModel Model { get; }

    /// <summary>One more than the largest id (specials included).</summary>
    public override int VocabSize => Model.VocabSize;

    // ---- the family's side of Microsoft.ML.Tokenizers' members (UnigramTokenizer) --------------
    // considerNormalization false skips NFC; considerPreTokenization is ignored: the chunk split at line ends is
    // part of the model (upstream BytePiece cuts there too, and no trained piece crosses it).

    private protected override List<int> EncodeIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        using var prepared = new PreparedText(text is null ? textSpan : text.AsSpan(), Form(settings), wantOffsets: false);
        return EncodeIdList(prepared.Bytes, false, false, null);
    }

    private protected override int CountIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        using var prepared = new PreparedText(text is null ? textSpan : text.AsSpan(), Form(settings), wantOffsets: false);
        return CountTokens(prepared.Bytes);
    }

    /// <remarks>Exact: the text splits after a token when its bytes end where a character of the original ends, so <c>text[..index]</c> and <c>text[index..]</c> normalize to exactly the bytes of the tokens on each side.</remarks>
    private protected override List<PieceToken> EncodeTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, out bool[] cleanAfter)
    {
        var clean = new List<bool>();
        List<PieceToken> tokens = PieceTokens(text is null ? textSpan : text.AsSpan(), Form(settings), false, false, null, clean);
        cleanAfter = [.. clean];
        return tokens;
    }

    /// <inheritdoc />
    public override PromptLattice PreparePrompt(ReadOnlySpan<byte> prompt) => new BytePiecePromptLattice(this, prompt.ToArray());

    private protected override PromptLattice PromptOf(string prompt)
    {
        using var input = new PreparedText(prompt, Model.Normalization, wantOffsets: false);
        return new BytePiecePromptLattice(this, input.Bytes.ToArray());
    }

    /// <inheritdoc />
    public override byte[]? GetPieceSpelling(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)VocabSize, nameof(id));
        return Model.ContainsId(id) ? Model.GetPieceBytes(id).ToArray() : null;
    }

    /// <summary>Decodes ids to text (invalid UTF-8 as U+FFFD, specials dropped).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    public override string Decode(IEnumerable<int> ids) => Decode(ids, DecodePolicy.Replace);

    private TextNormalization Form(EncodeSettings settings) => settings.ConsiderNormalization ? Model.Normalization : TextNormalization.None;

    // ---- text ---------------------------------------------------------------------------------

    /// <summary>Encodes text (normalized as the model says) to ids, with <c>&lt;bos&gt;</c> and <c>&lt;eos&gt;</c> when asked (the shape of Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Put <c>&lt;bos&gt;</c> first.</param>
    /// <param name="addEndOfSentence">Put <c>&lt;eos&gt;</c> last.</param>
    /// <param name="considerPreTokenization">Ignored (the chunk split is part of the model).</param>
    /// <param name="considerNormalization">False skips NFC.</param>
    public IReadOnlyList<int> EncodeToIds(string text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToIds(text.AsSpan(), addBeginningOfSentence, addEndOfSentence, considerPreTokenization, considerNormalization);
    }

    /// <summary>Encodes text to ids with <c>&lt;bos&gt;</c> and <c>&lt;eos&gt;</c> when asked (see <see cref="EncodeToIds(string, bool, bool, bool, bool)"/>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Put <c>&lt;bos&gt;</c> first.</param>
    /// <param name="addEndOfSentence">Put <c>&lt;eos&gt;</c> last.</param>
    /// <param name="considerPreTokenization">Ignored (the chunk split is part of the model).</param>
    /// <param name="considerNormalization">False skips NFC.</param>
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        using var input = new PreparedText(text, considerNormalization ? Model.Normalization : TextNormalization.None, wantOffsets: false);
        return EncodeIdList(input.Bytes, addBeginningOfSentence, addEndOfSentence, null);
    }

    /// <inheritdoc />
    public override IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling) => EncodeToIds(text, sampling, false, false);

    /// <summary>Encodes text (normalized as the model says) to ids: a sample drawn as <paramref name="sampling"/> says (Viterbi when <see cref="SamplingOptions.IsViterbi"/>).</summary>
    public IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToIds(text.AsSpan(), sampling, addBeginningOfSentence, addEndOfSentence);
    }

    /// <summary>Encodes text (normalized as the model says) to ids: a sample drawn as <paramref name="sampling"/> says (Viterbi when <see cref="SamplingOptions.IsViterbi"/>).</summary>
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text, SamplingOptions sampling, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: false);
        return EncodeIdList(input.Bytes, addBeginningOfSentence, addEndOfSentence, sampling);
    }

    /// <summary>
    /// Encodes text into <paramref name="destination"/>, whole chunks at a time. When the destination is
    /// too small, it holds the ids of the chunks that fit and <paramref name="charsConsumed"/> says where
    /// to resume (a chunk boundary, so resuming gives the same ids as one call with a larger buffer).
    /// </summary>
    /// <returns><see cref="OperationStatus.Done"/> or <see cref="OperationStatus.DestinationTooSmall"/>.</returns>
    public OperationStatus EncodeToIds(ReadOnlySpan<char> text, Span<int> destination, out int charsConsumed, out int idsWritten,
        bool addBeginningOfSentence = false, bool addEndOfSentence = false, SamplingOptions? sampling = null)
    {
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: true);
        OperationStatus status = EncodeIntoSpan(input.Bytes, destination, out int bytesConsumed, out idsWritten, addBeginningOfSentence, addEndOfSentence, sampling);
        input.MapByte(bytesConsumed, out charsConsumed);
        return status;
    }

    /// <summary>Encodes text to tokens with their ids, text, UTF-16 ranges in the original text, byte ranges and bytes.</summary>
    public IReadOnlyList<PieceToken> EncodeToPieceTokens(string text, bool addBeginningOfSentence = false, bool addEndOfSentence = false, SamplingOptions? sampling = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToPieceTokens(text.AsSpan(), addBeginningOfSentence, addEndOfSentence, sampling);
    }

    /// <summary>Encodes text to tokens with their ids, text, UTF-16 ranges in the original text, byte ranges and bytes.</summary>
    public IReadOnlyList<PieceToken> EncodeToPieceTokens(ReadOnlySpan<char> text, bool addBeginningOfSentence = false, bool addEndOfSentence = false, SamplingOptions? sampling = null)
        => PieceTokens(text, Model.Normalization, addBeginningOfSentence, addEndOfSentence, sampling, null);

    /// <summary>The text's tokens; <paramref name="clean"/>, when given, gets for each piece token whether the text splits exactly after it.</summary>
    private List<PieceToken> PieceTokens(ReadOnlySpan<char> text, TextNormalization form, bool addBos, bool addEos, SamplingOptions? sampling, List<bool>? clean)
    {
        using var input = new PreparedText(text, form, wantOffsets: true);
        var spans = new List<(int Id, int Start, int End)>();
        var sink = new SpanListSink(spans);
        ChunkEncoder.Encode(Model, input.Bytes, ref sink, sampling);

        var tokens = new List<PieceToken>(spans.Count + 2);
        if (addBos) tokens.Add(Special(SpecialTokens.BosId, 0));
        int previousEnd = 0;
        foreach (var (id, start, end) in spans)
        {
            bool exact = input.MapByte(end, out int charEnd);
            clean?.Add(exact);
            tokens.Add(new PieceToken(id, PieceValue(id), previousEnd..charEnd, start..end, Model.GetPieceMemory(id)));
            previousEnd = charEnd;
        }
        if (addEos) tokens.Add(Special(SpecialTokens.EosId, input.OriginalLength, input.Bytes.Length));
        return tokens;
    }

    /// <summary>Number of tokens <see cref="EncodeToIds(string, bool, bool, bool, bool)"/> would return.</summary>
    public int CountTokens(string text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return CountTokens(text.AsSpan(), addBeginningOfSentence, addEndOfSentence, considerPreTokenization, considerNormalization);
    }

    /// <summary>Number of tokens <see cref="EncodeToIds(ReadOnlySpan{char}, bool, bool, bool, bool)"/> would return.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        using var input = new PreparedText(text, considerNormalization ? Model.Normalization : TextNormalization.None, wantOffsets: false);
        return CountTokens(input.Bytes, addBeginningOfSentence, addEndOfSentence);
    }

    /// <summary>
    /// The length of the longest prefix of <paramref name="text"/> covered by at most
    /// <paramref name="maxTokenCount"/> tokens of the text's encoding (whole tokens, ending where the text
    /// splits exactly), with <c>&lt;bos&gt;</c>/<c>&lt;eos&gt;</c> counted when asked (the shape of
    /// Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Whether a <c>&lt;bos&gt;</c> is counted first.</param>
    /// <param name="addEndOfSentence">Whether an <c>&lt;eos&gt;</c> is counted last (only when the whole text fits).</param>
    /// <param name="maxTokenCount">The token budget (bos/eos count when added).</param>
    /// <param name="normalizedText">Always null: the index refers to <paramref name="text"/>.</param>
    /// <param name="tokenCount">How many tokens that prefix holds.</param>
    /// <param name="considerPreTokenization">Ignored (the chunk split is part of the model).</param>
    /// <param name="considerNormalization">False skips NFC.</param>
    /// <returns>A UTF-16 index into <paramref name="text"/>: <c>text[..index]</c> is the prefix.</returns>
    public int GetIndexByTokenCount(string text, bool addBeginningOfSentence, bool addEndOfSentence, int maxTokenCount, out string? normalizedText, out int tokenCount,
        bool considerPreTokenization = true, bool considerNormalization = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        normalizedText = null;
        return IndexByTokenCount(text, maxTokenCount, fromEnd: false, out tokenCount, addBeginningOfSentence, addEndOfSentence,
            considerNormalization ? Model.Normalization : TextNormalization.None);
    }

    /// <summary>
    /// The start of the longest suffix of <paramref name="text"/> covered by at most
    /// <paramref name="maxTokenCount"/> tokens of the text's encoding (whole tokens, starting where the text
    /// splits exactly), with <c>&lt;bos&gt;</c>/<c>&lt;eos&gt;</c> counted when asked (the shape of
    /// Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Whether a <c>&lt;bos&gt;</c> is counted first (only when the whole text fits).</param>
    /// <param name="addEndOfSentence">Whether an <c>&lt;eos&gt;</c> is counted last.</param>
    /// <param name="maxTokenCount">The token budget (bos/eos count when added).</param>
    /// <param name="considerNormalization">False skips NFC.</param>
    /// <param name="normalizedText">Always null: the index refers to <paramref name="text"/>.</param>
    /// <param name="tokenCount">How many tokens that suffix holds.</param>
    /// <returns>A UTF-16 index into <paramref name="text"/>: <c>text[index..]</c> is the suffix.</returns>
    public int GetIndexByTokenCountFromEnd(string text, bool addBeginningOfSentence, bool addEndOfSentence, int maxTokenCount, bool considerNormalization,
        out string? normalizedText, out int tokenCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        normalizedText = null;
        return IndexByTokenCount(text, maxTokenCount, fromEnd: true, out tokenCount, addBeginningOfSentence, addEndOfSentence,
            considerNormalization ? Model.Normalization : TextNormalization.None);
    }

    /// <summary>
    /// The budget's cut over the text's tokens from the start (or the end). The special on the walking side
    /// counts first; the one on the far side only when every token fits.
    /// </summary>
    private int IndexByTokenCount(ReadOnlySpan<char> text, int maxTokenCount, bool fromEnd, out int tokenCount, bool addBos, bool addEos, TextNormalization form)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokenCount);
        int used = (fromEnd ? addEos : addBos) ? 1 : 0;
        tokenCount = 0;
        if (used > maxTokenCount) return fromEnd ? text.Length : 0;
        var clean = new List<bool>();
        List<PieceToken> tokens = PieceTokens(text, form, false, false, null, clean);
        int index = fromEnd
            ? TokenBudget.Suffix(tokens, CollectionsMarshal.AsSpan(clean), text.Length, maxTokenCount - used, out int count)
            : TokenBudget.Prefix(tokens, CollectionsMarshal.AsSpan(clean), text.Length, maxTokenCount - used, out count);
        tokenCount = used + count;
        if ((fromEnd ? addBos : addEos) && count == tokens.Count && tokenCount < maxTokenCount) tokenCount++;
        return index;
    }

    // ---- bytes --------------------------------------------------------------------------------

    /// <summary>Encodes bytes as they are (never normalized; any byte string, valid UTF-8 or not).</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> bytes, bool addBeginningOfSentence = false, bool addEndOfSentence = false, SamplingOptions? sampling = null)
        => [.. EncodeIdList(bytes, addBeginningOfSentence, addEndOfSentence, sampling)];

    /// <summary>
    /// Encodes bytes into <paramref name="destination"/>, whole chunks at a time; on
    /// <see cref="OperationStatus.DestinationTooSmall"/>, resume at <paramref name="bytesConsumed"/>.
    /// </summary>
    public OperationStatus EncodeBytes(ReadOnlySpan<byte> bytes, Span<int> destination, out int bytesConsumed, out int idsWritten,
        bool addBeginningOfSentence = false, bool addEndOfSentence = false, SamplingOptions? sampling = null)
        => EncodeIntoSpan(bytes, destination, out bytesConsumed, out idsWritten, addBeginningOfSentence, addEndOfSentence, sampling);

    /// <summary>Number of tokens <see cref="EncodeBytes(ReadOnlySpan{byte}, bool, bool, SamplingOptions?)"/> would return.</summary>
    public int CountTokens(ReadOnlySpan<byte> bytes, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        var sink = new CountSink();
        ChunkEncoder.Encode(Model, bytes, ref sink);
        return sink.Count + (addBeginningOfSentence ? 1 : 0) + (addEndOfSentence ? 1 : 0);
    }

    /// <summary>The bytes of the pieces of <paramref name="ids"/>, concatenated (specials contribute nothing).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        int length = 0;
        foreach (int id in ids) length += PieceBytesOrEmpty(id).Length;
        var result = new byte[length];
        DecodeBytes(ids, result, out _, out _);
        return result;
    }

    /// <summary>Writes the bytes of whole pieces into <paramref name="destination"/> while they fit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    public OperationStatus DecodeBytes(ReadOnlySpan<int> ids, Span<byte> destination, out int idsConsumed, out int bytesWritten)
    {
        bytesWritten = 0;
        for (idsConsumed = 0; idsConsumed < ids.Length; idsConsumed++)
        {
            ReadOnlySpan<byte> piece = PieceBytesOrEmpty(ids[idsConsumed]);
            if (piece.Length > destination.Length - bytesWritten) return OperationStatus.DestinationTooSmall;
            piece.CopyTo(destination[bytesWritten..]);
            bytesWritten += piece.Length;
        }
        return OperationStatus.Done;
    }

    // ---- decoding to text -----------------------------------------------------------------------

    /// <summary>Decodes ids to text.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="policy">What to do with bytes that are not valid UTF-8.</param>
    /// <param name="skipSpecialTokens">Drop <c>&lt;pad&gt;</c>/<c>&lt;bos&gt;</c>/<c>&lt;eos&gt;</c> (default) or show their names.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    /// <exception cref="InvalidUtf8Exception">The policy is <see cref="DecodePolicy.Strict"/> and the bytes are invalid.</exception>
    public string Decode(IEnumerable<int> ids, DecodePolicy policy = DecodePolicy.Replace, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decode(ids is int[] array ? array : ids.ToArray(), policy, skipSpecialTokens);
    }

    /// <summary>Decodes ids to text.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="policy">What to do with bytes that are not valid UTF-8.</param>
    /// <param name="skipSpecialTokens">Drop <c>&lt;pad&gt;</c>/<c>&lt;bos&gt;</c>/<c>&lt;eos&gt;</c> (default) or show their names.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    /// <exception cref="InvalidUtf8Exception">The policy is <see cref="DecodePolicy.Strict"/> and the bytes are invalid.</exception>
    public string Decode(ReadOnlySpan<int> ids, DecodePolicy policy = DecodePolicy.Replace, bool skipSpecialTokens = true)
    {
        var decoder = new IncrementalDecoder(Model, policy, skipSpecialTokens);
        return decoder.Append(ids) + decoder.Flush();
    }

    /// <summary>A decoder for ids that arrive one at a time (it holds back incomplete UTF-8).</summary>
    public IncrementalDecoder CreateIncrementalDecoder(DecodePolicy policy = DecodePolicy.Replace, bool skipSpecialTokens = true)
        => new(Model, policy, skipSpecialTokens);

    // ---- the segmentation distribution ------------------------------------------------------------

    /// <summary>The <paramref name="k"/> most probable segmentations of the text (normalized as the model says), best first.</summary>
    /// <remarks>Ties in score are ordered by the longer last piece, then recursively by the prefix; the first is the Viterbi result.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public override IReadOnlyList<Segmentation> NBest(string text, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: true);
        var result = new List<Segmentation>();
        foreach (Segmentation bytes in NBest(input.Bytes, k, cancellationToken))
        {
            // Byte ranges become UTF-16 ranges as in EncodeToPieceTokens: a cut inside a character moves forward.
            var offsets = new Range[bytes.Offsets.Count];
            int previousEnd = 0;
            for (int t = 0; t < offsets.Length; t++)
            {
                input.MapByte(bytes.Offsets[t].End.Value, out int charEnd);
                offsets[t] = previousEnd..charEnd;
                previousEnd = charEnd;
            }
            result.Add(bytes with { Offsets = offsets });
        }
        return result;
    }

    /// <summary>The <paramref name="k"/> most probable segmentations of the bytes, best first (same order as the string overload).</summary>
    public IReadOnlyList<Segmentation> NBest(ReadOnlySpan<byte> bytes, int k) => NBest(bytes, k, CancellationToken.None);

    /// <summary>The <paramref name="k"/> most probable segmentations of the bytes (as <see cref="NBest(ReadOnlySpan{byte}, int)"/>), stopping when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public IReadOnlyList<Segmentation> NBest(ReadOnlySpan<byte> bytes, int k, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var result = new List<Segmentation>();
        foreach (var (pieces, logProb) in Lattice.NBest.Run(new LatticeGraph(Model, bytes), k, cancellationToken))
        {
            int[] ids = Array.ConvertAll(pieces, Model.IdOfPiece);
            var offsets = new Range[ids.Length];
            for (int t = 0, start = 0; t < ids.Length; t++)
            {
                int end = start + Model.GetPieceBytes(ids[t]).Length;
                offsets[t] = start..end;
                start = end;
            }
            result.Add(new Segmentation(ids, logProb) { Offsets = offsets });
        }
        return result;
    }

    private protected override IEnumerable<ScoredSegmentation> Samples(string text, SamplingOptions sampling, int numSamples, bool withoutReplacement, bool includeBest)
    {
        var (graph, best) = SampleLattice(text, includeBest);
        if (graph is null) yield break;
        int[] Ids(int[] edges) => Array.ConvertAll(edges, k => Model.IdOfPiece(graph.Piece[k]));
        foreach (ScoredSegmentation sample in LatticeDraws.SampleAndScore(graph, sampling.Alpha, numSamples, withoutReplacement, best, Ids, sampling.RngForChunk(0)))
            yield return sample;
    }

    /// <summary>The text's lattice (null when it is empty) and, when asked, its Viterbi ids: the prepared text does not outlive the call.</summary>
    private (LatticeGraph? Graph, int[]? Best) SampleLattice(string text, bool includeBest)
    {
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: false);
        if (input.Bytes.IsEmpty) return (null, null);
        return (new LatticeGraph(Model, input.Bytes), includeBest ? EncodeBytes(input.Bytes) : null);
    }

    /// <summary>
    /// The Shannon entropy (in nats) of the segmentation distribution <c>P^alpha / Z</c> of the text,
    /// exactly, from one forward-backward pass. Chunks are independent, so their entropies add.
    /// </summary>
    public override double Entropy(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: false);
        return Entropy(input.Bytes, alpha);
    }

    /// <summary>The entropy (in nats) of the segmentation distribution <c>P^alpha / Z</c> of the bytes.</summary>
    public double Entropy(ReadOnlySpan<byte> bytes, double alpha)
    {
        SamplingOptions.CheckAlpha(alpha);
        return ForwardBackward.Entropy(new LatticeGraph(Model, bytes), alpha);
    }

    /// <summary>Marginals of the text's lattice; offsets are byte offsets into the normalized UTF-8.</summary>
    /// <inheritdoc />
    public override IReadOnlyList<PieceMarginal> Marginals(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var input = new PreparedText(text, Model.Normalization, wantOffsets: false);
        return Marginals(input.Bytes, alpha);
    }

    /// <summary>Marginal probability of every piece occurrence in the bytes' lattice under <c>P^alpha / Z</c>.</summary>
    public IReadOnlyList<PieceMarginal> Marginals(ReadOnlySpan<byte> bytes, double alpha)
    {
        SamplingOptions.CheckAlpha(alpha);
        return ForwardBackward.PieceMarginals(new LatticeGraph(Model, bytes), alpha, Model.IdOfPiece);
    }

    // ---- shared -------------------------------------------------------------------------------

    private List<int> EncodeIdList(ReadOnlySpan<byte> bytes, bool addBos, bool addEos, SamplingOptions? sampling)
    {
        var sink = new IdListSink(new List<int>(bytes.Length / 3 + 2));
        if (addBos) sink.Ids.Add(SpecialTokens.BosId);
        ChunkEncoder.Encode(Model, bytes, ref sink, sampling);
        if (addEos) sink.Ids.Add(SpecialTokens.EosId);
        return sink.Ids;
    }

    private OperationStatus EncodeIntoSpan(ReadOnlySpan<byte> bytes, Span<int> destination, out int bytesConsumed, out int idsWritten,
        bool addBos, bool addEos, SamplingOptions? sampling)
    {
        bytesConsumed = 0;
        idsWritten = 0;
        int written = 0;
        if (addBos)
        {
            if (destination.IsEmpty) return OperationStatus.DestinationTooSmall;
            destination[written++] = SpecialTokens.BosId;
        }
        var sink = new SpanSink(destination, written);
        bytesConsumed = ChunkEncoder.Encode(Model, bytes, ref sink, sampling);
        idsWritten = sink.Written;
        if (bytesConsumed < bytes.Length) return OperationStatus.DestinationTooSmall;
        if (addEos)
        {
            if (idsWritten == destination.Length) return OperationStatus.DestinationTooSmall;
            destination[idsWritten++] = SpecialTokens.EosId;
        }
        return OperationStatus.Done;
    }

    private ReadOnlySpan<byte> PieceBytesOrEmpty(int id) => (uint)id < SpecialTokens.Count ? default : Model.GetPieceBytes(id);

    private string PieceValue(int id) => PieceText.Format(Model.GetPieceBytes(id));

    private static PieceToken Special(int id, int charPosition, int bytePosition = 0)
        => new(id, SpecialTokens.GetText(id), charPosition..charPosition, bytePosition..bytePosition, ReadOnlyMemory<byte>.Empty);
}
