using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using BytePiece.Families;
using BytePiece.Families.SentencePiece;
using BytePiece.Lattice;
using BytePiece.Normalization;
using Microsoft.ML.Tokenizers;

namespace BytePiece;

/// <summary>
/// Encodes text with a SentencePiece Unigram model exactly as SentencePiece does (same ids as
/// <c>spm_encode</c>): spm's normalizer, its Viterbi in float32, consecutive unknowns merged into one
/// <c>&lt;unk&gt;</c> or, with byte fallback, unknown characters spelled as <c>&lt;0xHH&gt;</c> pieces.
/// The whole input is one sentence (as in the Python binding; <c>spm_encode</c> encodes each line of a
/// file as its own sentence). A Microsoft.ML.Tokenizers <see cref="Tokenizer"/> whose extra members have the
/// shapes of ML's own <c>SentencePieceTokenizer</c>; offsets refer to the original text. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Through Microsoft.ML.Tokenizers' members: <c>considerNormalization: false</c> takes the text as already
/// normalized (no character map, whitespace rules or dummy prefix: write U+2581 for spaces), as ML's own
/// <c>SentencePieceTokenizer</c> does; <c>considerPreTokenization</c> is ignored (spm has no pre-tokenizer); no
/// specials are added (ML's adds <c>&lt;s&gt;</c> by default); <c>normalizedText</c> is null (offsets refer to the input).
/// </remarks>
public sealed class SentencePieceTokenizer : UnigramTokenizer
{
    /// <summary>Creates a tokenizer over <paramref name="model"/>.</summary>
    public SentencePieceTokenizer(SentencePieceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>Loads a SentencePiece <c>.model</c> file.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid SentencePiece Unigram model.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SentencePieceTokenizer Load(string path) => new(ModelFile.LoadSentencePiece(path));

    /// <summary>Reads a SentencePiece <c>.model</c> from a stream (to its end).</summary>
    /// <exception cref="ModelFormatException">The content is not a valid SentencePiece Unigram model.</exception>
    public static SentencePieceTokenizer Create(Stream modelStream)
    {
        ArgumentNullException.ThrowIfNull(modelStream);
        using var buffer = new MemoryStream();
        modelStream.CopyTo(buffer);
        return new(ModelFile.LoadSentencePiece(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>The model.</summary>
    public SentencePieceModel Model { get; }

    /// <summary>Number of ids.</summary>
    public override int VocabSize => Model.VocabSize;

    // spm's normalizer off (Microsoft.ML.Tokenizers' considerNormalization: false): the bytes are the normalized text.
    private static readonly Normalization.SentencePieceNormalizer s_identity = new(null, null, addDummyPrefix: false, removeExtraWhitespaces: false,
        escapeWhitespaces: false, whitespaceAsSuffix: false);

    // ---- the family's side of Microsoft.ML.Tokenizers' members (UnigramTokenizer) --------------
    // considerNormalization false takes the text as already normalized (no character map, whitespace rules or
    // dummy prefix: write U+2581 yourself), as ML's SentencePieceTokenizer does; spm has no pre-tokenizer.

    private protected override List<int> EncodeIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
        => EncodeToIds(Utf8(text is null ? textSpan : text.AsSpan()), false, false, settings.ConsiderNormalization);

    private protected override int CountIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
        => CountTokens(text is null ? textSpan : text.AsSpan(), false, false, considerNormalization: settings.ConsiderNormalization);

    private protected override List<PieceToken> EncodeTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, out bool[] cleanAfter)
    {
        List<PieceToken> tokens = PieceTokens(text is null ? textSpan : text.AsSpan(), settings.ConsiderNormalization);
        cleanAfter = TokenBudget.CleanCutsByRange(tokens);
        return tokens;
    }

    /// <summary>Encodes text to ids (Viterbi), with the model's <c>bos</c>/<c>eos</c> pieces when asked (the shape of Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Put the model's <c>bos</c> piece first.</param>
    /// <param name="addEndOfSentence">Put the model's <c>eos</c> piece last.</param>
    /// <param name="considerPreTokenization">Ignored (spm has no pre-tokenizer).</param>
    /// <param name="considerNormalization">False takes the text as already normalized (spaces as U+2581).</param>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public IReadOnlyList<int> EncodeToIds(string text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToIds(text.AsSpan(), addBeginningOfSentence, addEndOfSentence, considerPreTokenization, considerNormalization);
    }

    /// <summary>Encodes text to ids (see <see cref="EncodeToIds(string, bool, bool, bool, bool)"/>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBeginningOfSentence">Put the model's <c>bos</c> piece first.</param>
    /// <param name="addEndOfSentence">Put the model's <c>eos</c> piece last.</param>
    /// <param name="considerPreTokenization">Ignored (spm has no pre-tokenizer).</param>
    /// <param name="considerNormalization">False takes the text as already normalized (spaces as U+2581).</param>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
        => EncodeToIds(Utf8(text), addBeginningOfSentence, addEndOfSentence, considerNormalization);

    /// <summary>Encodes UTF-8 text to ids (Viterbi). Malformed bytes are read as U+FFFD, as spm does.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<byte> utf8, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
        => EncodeToIds(utf8, addBeginningOfSentence, addEndOfSentence, considerNormalization: true);

    private List<int> EncodeToIds(ReadOnlySpan<byte> utf8, bool addBos, bool addEos, bool considerNormalization)
    {
        var sink = new IdListSink(new List<int>(utf8.Length / 3 + 2));
        if (addBos) sink.Ids.Add(RequireControl(Model.BosId, "beginning-of-sentence"));
        Encode(utf8, ref sink, considerNormalization);
        if (addEos) sink.Ids.Add(RequireControl(Model.EosId, "end-of-sentence"));
        return sink.Ids;
    }

    /// <summary>Number of tokens <see cref="EncodeToIds(string, bool, bool, bool, bool)"/> returns.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public int CountTokens(string text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return CountTokens(text.AsSpan(), addBeginningOfSentence, addEndOfSentence, considerPreTokenization, considerNormalization);
    }

    /// <summary>Number of tokens <see cref="EncodeToIds(ReadOnlySpan{char}, bool, bool, bool, bool)"/> returns.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public int CountTokens(ReadOnlySpan<char> text, bool addBeginningOfSentence, bool addEndOfSentence, bool considerPreTokenization = true, bool considerNormalization = true)
    {
        if (addBeginningOfSentence) RequireControl(Model.BosId, "beginning-of-sentence");
        if (addEndOfSentence) RequireControl(Model.EosId, "end-of-sentence");
        var sink = new CountSink();
        Encode(Utf8(text), ref sink, considerNormalization);
        return sink.Count + (addBeginningOfSentence ? 1 : 0) + (addEndOfSentence ? 1 : 0);
    }

    private static byte[] Utf8(ReadOnlySpan<char> text)
    {
        var utf8 = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, utf8);
        return utf8;
    }

    /// <inheritdoc />
    public override IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling) => EncodeToIds(text, sampling, false, false);

    /// <summary>
    /// Encodes text with a segmentation drawn from <c>exp(alpha * score(w)) / Z</c> over all of spm's
    /// segmentations (subword regularization; spm's <c>enable_sampling</c> with <c>nbest_size = -1</c>), exactly;
    /// <see cref="SamplingOptions.IsViterbi"/> options give the Viterbi result. The draw depends only on
    /// the seed, <see cref="SamplingOptions.FirstChunk"/> (the sentence's index) and the text.
    /// </summary>
    public IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToIds(Encoding.UTF8.GetBytes(text), sampling, addBeginningOfSentence, addEndOfSentence);
    }

    /// <summary>UTF-8 text with a drawn segmentation (see <see cref="EncodeToIds(string, SamplingOptions, bool, bool)"/>).</summary>
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<byte> utf8, SamplingOptions sampling, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        bool addBos = addBeginningOfSentence, addEos = addEndOfSentence;
        if (sampling.IsViterbi) return EncodeToIds(utf8, addBos, addEos);
        SamplingOptions.CheckAlpha(sampling.Alpha);
        var ids = new List<int>();
        if (addBos) ids.Add(RequireControl(Model.BosId, "beginning-of-sentence"));
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            int count = EncodeCore(utf8, scratch, sampling);
            ids.AddRange(scratch.OutIds.AsSpan(0, count));
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
        if (addEos) ids.Add(RequireControl(Model.EosId, "end-of-sentence"));
        return ids;
    }

    /// <summary>
    /// The <paramref name="k"/> best segmentations of the text, best first (spm's <c>nbest_encode</c>, but
    /// exact for every k: each lattice position keeps its k best paths; segmentations whose scores are equal
    /// to float precision may come in another order than spm's), each with its score (the sum of
    /// its pieces' scores). Unknowns are merged or spelled as bytes in each, as in the Viterbi result.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public override IReadOnlyList<Segmentation> NBest(string text, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            NormalizedBuffer normalized = scratch.Normalized;
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            Model.Normalizer.Normalize(utf8, normalized);
            if (normalized.Length == 0) return [new Segmentation([], 0)];
            int[] charOf = CharIndexOfByte(text, utf8.Length);
            var result = new List<Segmentation>();
            foreach (var (ids, score) in Lattice.NBest.Run(LatticeGraph.ForSentencePiece(Model, normalized.Bytes), k, cancellationToken))
            {
                // The path's starts from its pieces: an unknown spans one character.
                var starts = new int[ids.Length];
                for (int t = 1; t < ids.Length; t++)
                {
                    int position = starts[t - 1];
                    starts[t] = position + (ids[t - 1] == Model.UnknownId
                        ? Math.Min(SentencePieceLattice.OneCharLength(normalized.Bytes[position]), normalized.Length - position)
                        : Model.GetPieceBytes(ids[t - 1]).Length);
                }
                int[] pathIds = PathToIds(scratch, ids, starts);
                var offsets = new Range[pathIds.Length];
                for (int t = 0; t < offsets.Length; t++) offsets[t] = charOf[scratch.OutStarts[t]]..charOf[scratch.OutEnds[t]];
                result.Add(new Segmentation(pathIds, score) { Offsets = offsets });
            }
            return result;
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>
    /// spm's <c>SampleEncode</c> with its <paramref name="nbestSize"/> regimes: below 0, a draw from all
    /// segmentations (as <see cref="EncodeToIds(string, SamplingOptions, bool, bool)"/>, exactly); 0 or 1,
    /// the Viterbi result; above 1 (at most 512, as spm clamps it), one of the <paramref name="nbestSize"/>
    /// best segmentations (<see cref="UnigramTokenizer.NBest(string, int)"/>) drawn with probability proportional to
    /// <c>exp(alpha * score)</c> among them, not from the full distribution. The draw depends only on the
    /// seed, <see cref="SamplingOptions.FirstChunk"/> (the sentence's index) and the text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The options' alpha is negative (Viterbi) or not finite while <paramref name="nbestSize"/> asks for a draw.</exception>
    public IReadOnlyList<int> SampleEncode(string text, SamplingOptions sampling, int nbestSize)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (nbestSize is 0 or 1) return EncodeToIds(text);
        SamplingOptions.CheckAlpha(sampling.Alpha);
        if (nbestSize < 0) return EncodeToIds(text, sampling);
        IReadOnlyList<Segmentation> best = NBest(text, Math.Min(nbestSize, 512));
        double max = best.Max(s => sampling.Alpha * s.LogProb);
        double total = best.Sum(s => Math.Exp(sampling.Alpha * s.LogProb - max));
        CounterRng rng = sampling.RngForChunk(0);
        double u = rng.NextDouble() * total;
        foreach (Segmentation segmentation in best)
        {
            u -= Math.Exp(sampling.Alpha * segmentation.LogProb - max);
            if (u < 0) return segmentation.Ids;
        }
        return best[^1].Ids; // rounding left u at or just above 0
    }

    private protected override IEnumerable<ScoredSegmentation> Samples(string text, SamplingOptions sampling, int numSamples, bool withoutReplacement, bool includeBest)
    {
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            NormalizedBuffer normalized = scratch.Normalized;
            Model.Normalizer.Normalize(Encoding.UTF8.GetBytes(text), normalized);
            if (normalized.Length == 0) yield break;
            LatticeGraph graph = LatticeGraph.ForSentencePiece(Model, normalized.Bytes);
            var (_, _, edgeStart) = graph.EdgesByEnd();
            CounterRng rng = sampling.RngForChunk(0);
            int[] Ids(int[] edges) => PathToIds(scratch, [.. edges.Select(k => graph.Piece[k])], [.. edges.Select(k => edgeStart[k])]);
            foreach (ScoredSegmentation sample in LatticeDraws.SampleAndScore(graph, sampling.Alpha, numSamples, withoutReplacement,
                includeBest ? [.. EncodeToIds(text)] : null, Ids, rng))
                yield return sample;
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>
    /// The Shannon entropy (nats) of the segmentation distribution <c>exp(alpha * score(w)) / Z</c> of the
    /// text (spm's <c>calculate_entropy</c>), exactly, in double, from one forward-backward pass.
    /// </summary>
    public override double Entropy(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        SamplingOptions.CheckAlpha(alpha);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            Model.Normalizer.Normalize(Encoding.UTF8.GetBytes(text), scratch.Normalized);
            return ForwardBackward.Entropy(LatticeGraph.ForSentencePiece(Model, scratch.Normalized.Bytes), alpha);
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>Marginals of the text's lattice (spm's lattice: an unknown character is one edge with the unknown id); offsets are byte offsets into the normalized UTF-8 (what <see cref="Normalize"/> gives).</summary>
    /// <inheritdoc />
    public override IReadOnlyList<PieceMarginal> Marginals(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        SamplingOptions.CheckAlpha(alpha);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            Model.Normalizer.Normalize(Encoding.UTF8.GetBytes(text), scratch.Normalized);
            return ForwardBackward.PieceMarginals(LatticeGraph.ForSentencePiece(Model, scratch.Normalized.Bytes), alpha, id => id);
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>
    /// Encodes UTF-8 text into <paramref name="destination"/> without allocating. The sentence is written
    /// whole or not at all: <see cref="OperationStatus.DestinationTooSmall"/> writes nothing (retry with
    /// a larger buffer; <see cref="Tokenizer.CountTokens(string, bool, bool)"/> tells how large).
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="addBeginningOfSentence"/> or <paramref name="addEndOfSentence"/> is set and the model has no such piece.</exception>
    public OperationStatus EncodeToIds(ReadOnlySpan<byte> utf8, Span<int> destination, out int idsWritten, bool addBeginningOfSentence = false, bool addEndOfSentence = false)
    {
        bool addBos = addBeginningOfSentence, addEos = addEndOfSentence;
        int extra = (addBos ? 1 : 0) + (addEos ? 1 : 0);
        idsWritten = 0;
        if (destination.Length < extra) return OperationStatus.DestinationTooSmall;
        var sink = new SpanSink(destination[..^(addEos ? 1 : 0)], addBos ? 1 : 0);
        if (addBos) destination[0] = RequireControl(Model.BosId, "beginning-of-sentence");
        if (!Encode(utf8, ref sink)) return OperationStatus.DestinationTooSmall;
        idsWritten = sink.Written;
        if (addEos) destination[idsWritten++] = RequireControl(Model.EosId, "end-of-sentence");
        return OperationStatus.Done;
    }

    /// <summary>
    /// Encodes text to tokens with ids, pieces (as spm reports them: an unknown shows the normalized text it
    /// stands for) and their spans in the original text (UTF-16 and UTF-8 bytes).
    /// </summary>
    /// <remarks>
    /// Spans are spm's: a token covers the original characters its normalized bytes came from; the dummy
    /// prefix is empty at 0; with byte fallback only the last byte piece of a character covers it.
    /// </remarks>
    public IReadOnlyList<PieceToken> EncodeToPieceTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PieceTokens(text, considerNormalization: true);
    }

    private List<PieceToken> PieceTokens(ReadOnlySpan<char> text, bool considerNormalization)
    {
        byte[] utf8 = Utf8(text);
        int[] charOf = CharIndexOfByte(text, utf8.Length);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            int count = EncodeCore(utf8, scratch, normalize: considerNormalization);
            var tokens = new List<PieceToken>(count);
            for (int k = 0; k < count; k++)
            {
                int id = scratch.OutIds[k], start = scratch.OutStarts[k], end = scratch.OutEnds[k];
                tokens.Add(new PieceToken(id, SpmPiece(scratch, k), charOf[start]..charOf[end], start..end, Model.GetPieceBytes(id).ToArray()));
            }
            return tokens;
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>The text as spm's normalizer leaves it (what <c>spm_normalize</c> prints; spaces as U+2581 when escaped).</summary>
    public string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            Model.Normalizer.Normalize(Encoding.UTF8.GetBytes(text), scratch.Normalized);
            return Encoding.UTF8.GetString(scratch.Normalized.Bytes);
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>Normalizes, solves the lattice (Viterbi, or a draw) and hands the tokens (with original byte offsets) to the sink.</summary>
    /// <returns>False when the sink refused the tokens.</returns>
    internal bool Encode<TSink>(ReadOnlySpan<byte> utf8, ref TSink sink, bool normalize = true, SamplingOptions? sampling = null) where TSink : ITokenSink, allows ref struct
    {
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            int count = EncodeCore(utf8, scratch, sampling, withOffsets: TSink.NeedsOffsets, normalize: normalize);
            if (!sink.BeginChunk(count)) return false;
            int[] ids = scratch.OutIds;
            if (TSink.NeedsOffsets)
                for (int k = 0; k < count; k++) sink.Add(ids[k], scratch.OutStarts[k], scratch.OutEnds[k]);
            else
                for (int k = 0; k < count; k++) sink.Add(ids[k], 0, 0);
            return true;
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    /// <summary>
    /// The pieces of the text's encoding as spm reports them (<c>spm_encode --output_format=piece</c>): the
    /// stored piece, except that an unknown shows the normalized text it stands for.
    /// </summary>
    public IReadOnlyList<string> EncodeToPieces(ReadOnlySpan<byte> utf8, SamplingOptions? sampling = null)
    {
        if (sampling is { IsViterbi: false } options) SamplingOptions.CheckAlpha(options.Alpha);
        SentencePieceScratch scratch = SentencePieceScratch.Rent();
        try
        {
            int count = EncodeCore(utf8, scratch, sampling);
            var pieces = new List<string>(count);
            for (int k = 0; k < count; k++) pieces.Add(SpmPiece(scratch, k));
            return pieces;
        }
        finally
        {
            SentencePieceScratch.Return(scratch);
        }
    }

    private string SpmPiece(SentencePieceScratch scratch, int k)
        => scratch.OutIds[k] == Model.UnknownId
            ? Encoding.UTF8.GetString(scratch.Normalized.Bytes[scratch.OutNormStarts[k]..scratch.OutNormEnds[k]])
            : Model.IdToPiece(scratch.OutIds[k]);

    /// <summary>
    /// Normalizes and solves the lattice (Viterbi, or a draw); the output tokens are left in the scratch
    /// (ids only, unless <paramref name="withOffsets"/>).
    /// </summary>
    private int EncodeCore(ReadOnlySpan<byte> utf8, SentencePieceScratch scratch, SamplingOptions? sampling = null, bool withOffsets = true, bool normalize = true)
    {
        NormalizedBuffer normalized = scratch.Normalized;
        (normalize ? Model.Normalizer : s_identity).Normalize(utf8, normalized);
        int count = 0;
        if (normalized.Length == 0) { }
        else if (sampling is { IsViterbi: false } options)
        {
            CounterRng rng = options.RngForChunk(0);
            count = SentencePieceSampler.Solve(Model, normalized.Bytes, scratch, options.Alpha, rng);
        }
        else count = SentencePieceViterbi.Solve(Model, normalized.Bytes, scratch);
        return withOffsets ? PostProcess(scratch, count, normalized.Length, normalized.ToOriginal) : PostProcess(scratch, count, normalized.Length, default, withOffsets: false);
    }

    /// <summary>One lattice path (ids and normalized starts, in text order) post-processed as the Viterbi result is.</summary>
    private int[] PathToIds(SentencePieceScratch scratch, ReadOnlySpan<int> ids, ReadOnlySpan<int> starts)
    {
        NormalizedBuffer normalized = scratch.Normalized;
        scratch.EnsureLattice(normalized.Length);
        int count = ids.Length;
        for (int t = 0; t < count; t++)
        {
            scratch.PathIds[count - 1 - t] = ids[t];
            scratch.PathStarts[count - 1 - t] = starts[t];
        }
        int written = PostProcess(scratch, count, normalized.Length, normalized.ToOriginal);
        return scratch.OutIds.AsSpan(0, written).ToArray();
    }

    /// <summary>
    /// spm's <c>PopulateSentencePieceText</c>: maps each token to the original text, merges runs of
    /// unknowns into one, or spells unknowns as byte pieces (the last byte piece carries the span).
    /// Without <paramref name="withOffsets"/> (a constant at each call, so the JIT drops the other arrays)
    /// only the ids are written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int PostProcess(SentencePieceScratch scratch, int count, int normalizedLength, ReadOnlySpan<int> toOriginal, bool withOffsets = true)
    {
        scratch.EnsureOutput(Model.ByteFallback ? 4 * count : count);
        int[] ids = scratch.OutIds, starts = scratch.OutStarts, ends = scratch.OutEnds, normStarts = scratch.OutNormStarts, normEnds = scratch.OutNormEnds;
        int[] pathIds = scratch.PathIds, pathStarts = scratch.PathStarts;
        int unknown = Model.UnknownId;
        int written = 0;
        bool previousUnknown = false;
        for (int k = count - 1; k >= 0; k--)
        {
            int id = pathIds[k];
            if (id != unknown && !withOffsets)
            {
                ids[written++] = id;
                previousUnknown = false;
                continue;
            }
            int start = pathStarts[k];
            int end = k == 0 ? normalizedLength : pathStarts[k - 1];
            int origStart = withOffsets ? toOriginal[start] : 0, origEnd = withOffsets ? toOriginal[end] : 0;
            bool isUnknown = id == unknown;
            if (isUnknown && Model.ByteFallback)
            {
                ReadOnlySpan<byte> bytes = scratch.Normalized.Bytes[start..end];
                for (int b = 0; b < bytes.Length; b++)
                {
                    ids[written] = Model.ByteId(bytes[b]);
                    if (withOffsets)
                    {
                        starts[written] = origStart;
                        ends[written] = b == bytes.Length - 1 ? origEnd : origStart;
                        normStarts[written] = start + b;
                        normEnds[written] = start + b + 1;
                    }
                    written++;
                }
            }
            else if (isUnknown && previousUnknown)
            {
                if (withOffsets)
                {
                    ends[written - 1] = origEnd;
                    normEnds[written - 1] = end;
                }
            }
            else
            {
                ids[written] = id;
                if (withOffsets)
                {
                    starts[written] = origStart;
                    ends[written] = origEnd;
                    normStarts[written] = start;
                    normEnds[written] = end;
                }
                written++;
            }
            previousUnknown = isUnknown;
        }
        return written;
    }

    // ---- the continuation fix (BytePiece.LmTools) ---------------------------------------------

    /// <inheritdoc />
    public override PromptLattice PreparePrompt(ReadOnlySpan<byte> prompt) => new SentencePiecePromptLattice(this, NormalizePrompt(prompt));

    private protected override PromptLattice PromptOf(string prompt) => new SentencePiecePromptLattice(this, NormalizePrompt(Encoding.UTF8.GetBytes(prompt)));

    /// <inheritdoc />
    public override byte[]? GetPieceSpelling(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)VocabSize, nameof(id));
        return Model.GetPieceType(id) switch
        {
            SentencePieceType.Normal or SentencePieceType.UserDefined => Model.GetPieceBytes(id).ToArray(),
            SentencePieceType.Byte => [(byte)SentencePieceModel.ParseBytePiece(Model.GetPieceBytes(id))],
            _ => null,
        };
    }

    /// <summary>
    /// The normalized bytes of a prompt read as the beginning of a longer text. At the very end of a
    /// sentence spm's normalizer drops trailing whitespace and may add a dummy suffix; inside a text
    /// neither happens. So the prompt is normalized followed by a sentinel character (one that no rule
    /// or user-defined symbol touches), and the output is cut where the sentinel's bytes begin.
    /// </summary>
    internal byte[] NormalizePrompt(ReadOnlySpan<byte> utf8)
    {
        byte sentinel = PromptSentinel();
        var input = new byte[utf8.Length + 1];
        utf8.CopyTo(input);
        input[^1] = sentinel;
        var buffer = new NormalizedBuffer();
        Model.Normalizer.Normalize(input, buffer);
        ReadOnlySpan<int> origin = buffer.ToOriginal;
        int cut = 0;
        while (cut < buffer.Length && origin[cut] < utf8.Length) cut++;
        return buffer.Bytes[..cut].ToArray();
    }

    /// <summary>A letter every charsmap keeps as it is and no user-defined symbol contains (found once: it scans the vocabulary).</summary>
    private byte PromptSentinel()
    {
        if (_promptSentinel < 0)
            _promptSentinel = Normalization.PromptSentinel.Pick(c =>
            {
                for (int id = 0; id < Model.VocabSize; id++)
                    if (Model.GetPieceType(id) == SentencePieceType.UserDefined && Model.GetPieceBytes(id).Contains((byte)c)) return true;
                return false;
            });
        return (byte)_promptSentinel;
    }

    private int _promptSentinel = -1; // -1 until found; an int, so a racing first use writes whole values

    /// <summary>
    /// One lattice over <paramref name="normalized"/> text with the best path to every node: read the path to
    /// any character start (or the end) with <see cref="PrefixPaths.PathTo"/>. By optimal substructure, the
    /// path to a node is what the encoding of any longer text holds before a token boundary there (the node
    /// values depend only on the text before them). For one caller at a time.
    /// </summary>
    internal PrefixPaths SolvePrefixes(ReadOnlySpan<byte> normalized)
    {
        var scratch = new SentencePieceScratch();
        scratch.Normalized.Clear();
        scratch.Normalized.AddIdentity(normalized, 0);
        scratch.Normalized.Finish(normalized.Length);
        if (normalized.Length > 0) SentencePieceViterbi.Solve(Model, scratch.Normalized.Bytes, scratch);
        return new PrefixPaths(this, scratch);
    }

    /// <summary>The solved lattice of <see cref="SolvePrefixes"/>.</summary>
    internal sealed class PrefixPaths(SentencePieceTokenizer tokenizer, SentencePieceScratch scratch)
    {
        /// <summary>The path's ids after spm's post-processing (unknowns merged or spelled as byte pieces) and each token's normalized start.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="end"/> is not a character boundary of the text.</exception>
        public (int[] Ids, int[] Starts) PathTo(int end)
        {
            ReadOnlySpan<byte> text = scratch.Normalized.Bytes;
            if ((uint)end > (uint)text.Length || (end < text.Length && (text[end] & 0xC0) == 0x80))
                throw new ArgumentOutOfRangeException(nameof(end), $"{end} is not a character boundary of the normalized text");
            int count = end == 0 ? 0 : SentencePieceLattice.Backtrack(tokenizer.Model, scratch, end);
            int written = tokenizer.PostProcess(scratch, count, end, scratch.Normalized.ToOriginal);
            return (scratch.OutIds[..written], scratch.OutNormStarts[..written]);
        }
    }

    // ---- decoding ---------------------------------------------------------------------------

    /// <summary>
    /// Decodes ids to text as spm does: control pieces vanish, <c>&lt;unk&gt;</c> becomes the unknown
    /// surface, runs of byte pieces are read as UTF-8 (each invalid byte as U+FFFD), U+2581 becomes a
    /// space, and the dummy-prefix space of the first piece is dropped; then the model's
    /// <c>denormalizer_spec</c>, when it has rules, is applied to the text (as <c>spm_decode</c> does).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool atStart = true;
        bool dropPrefix = Model.AddDummyPrefix || Model.RemoveExtraWhitespaces;
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            string surface = Utf8WithReplacement(bytes);
            bytes.Clear();
            Append(surface);
        }
        void Append(string surface)
        {
            if (atStart && dropPrefix && surface.StartsWith('\u2581')) surface = surface[1..];
            if (surface.Length > 0) atStart = false;
            text.Append(surface.Replace('\u2581', ' '));
        }
        foreach (int id in ids)
        {
            SentencePieceType type = Model.GetPieceType(id);
            if (type == SentencePieceType.Byte)
            {
                bytes.Add((byte)SentencePieceModel.ParseBytePiece(Model.GetPieceBytes(id)));
                continue;
            }
            FlushBytes();
            switch (type)
            {
                case SentencePieceType.Control: break;
                case SentencePieceType.Unknown: Append(Model.UnknownSurface); break;
                default: Append(Model.IdToPiece(id)); break;
            }
        }
        FlushBytes();
        if (Model.Denormalizer is not { } denormalizer) return text.ToString();
        var denormalized = new NormalizedBuffer();
        denormalizer.Normalize(Encoding.UTF8.GetBytes(text.ToString()), denormalized);
        return Encoding.UTF8.GetString(denormalized.Bytes);
    }

    private static string Utf8WithReplacement(List<byte> bytes)
    {
        // spm turns each byte of an invalid sequence into U+FFFD (one per byte).
        var sb = new StringBuilder();
        ReadOnlySpan<byte> span = bytes.ToArray();
        while (!span.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(span, out Rune rune, out int consumed) == OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                span = span[consumed..];
            }
            else
            {
                sb.Append('\uFFFD');
                span = span[1..];
            }
        }
        return sb.ToString();
    }

    private static int RequireControl(int id, string what)
        => id >= 0 ? id : throw new InvalidOperationException($"the model has no {what} piece");

    /// <summary>For each byte offset of <paramref name="text"/>'s UTF-8 (and its end), the UTF-16 index of the character that holds it.</summary>
    private static int[] CharIndexOfByte(ReadOnlySpan<char> text, int byteLength)
    {
        var map = new int[byteLength + 1];
        int b = 0;
        for (int i = 0; i < text.Length;)
        {
            int units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int bytes = units == 2 ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            for (int k = 0; k < bytes; k++) map[b + k] = i;
            b += bytes;
            i += units;
        }
        map[byteLength] = text.Length;
        return map;
    }
}
