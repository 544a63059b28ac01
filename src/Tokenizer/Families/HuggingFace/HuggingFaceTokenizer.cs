using System.Buffers;
using System.Text;
using BytePiece.Families;
using BytePiece.Families.HuggingFace;
using BytePiece.Formats;
using BytePiece.Lattice;
using BytePiece.Model;
using BytePiece.Normalization;
using Microsoft.ML.Tokenizers;

namespace BytePiece;

/// <summary>
/// Encodes text with a HuggingFace <c>tokenizer.json</c> whose model is Unigram, the way HuggingFace
/// tokenizers does (not the way SentencePiece does; they differ, see docs/compatibility.md): added tokens are cut
/// out of the raw text first; each other part runs through the normalizer, the pre-tokenizer
/// (Metaspace splits into words) and the Unigram model word by word (double scores, unknowns fused,
/// byte fallback); the post-processor adds special tokens when asked. Offsets refer to the original
/// text. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Through Microsoft.ML.Tokenizers' members: <c>considerNormalization: false</c> skips the file's normalizer,
/// <c>considerPreTokenization: false</c> its pre-tokenizer (the text between added tokens is one word); the
/// post-processor's template is not applied; <c>normalizedText</c> is null (offsets refer to the input).
/// </remarks>
public sealed class HuggingFaceTokenizer : UnigramTokenizer
{
    private readonly TokenizerJsonPipeline _pipeline;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly AddedToken[] _addedByLength; // longest first: the match HF takes at a position

    private HuggingFaceTokenizer(TokenizerJsonPipeline pipeline)
    {
        _pipeline = pipeline;
        _addedById = [];
        foreach (AddedToken t in pipeline.AddedTokens) _addedById[t.Id] = t;
        _addedByLength = [.. pipeline.AddedTokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length)];
        VocabSize = Math.Max(pipeline.Model.VocabSize, pipeline.AddedTokens.Count == 0 ? 0 : pipeline.AddedTokens.Max(t => t.Id) + 1);
    }

    /// <summary>Loads a tokenizer.json file.</summary>
    /// <exception cref="ModelFormatException">The file is not a tokenizer.json this engine reads (a Unigram model and its supported steps); the message says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static HuggingFaceTokenizer Load(string path) => ModelFile.ReadFile(path, content => FromJson(content));

    /// <summary>Parses the content of a tokenizer.json.</summary>
    /// <exception cref="ModelFormatException">The content is not a tokenizer.json this engine reads.</exception>
    public static HuggingFaceTokenizer FromJson(ReadOnlySpan<byte> utf8Json) => new(TokenizerJsonReader.Read(utf8Json));

    /// <summary>Number of ids (vocabulary and added tokens).</summary>
    public override int VocabSize { get; }

    // ---- the family's side of Microsoft.ML.Tokenizers' members (UnigramTokenizer) --------------
    // considerNormalization false skips the file's normalizer, considerPreTokenization false its pre-tokenizer
    // (the text between added tokens is one word). The post-processor's template is not applied.

    private protected override List<int> EncodeIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
        => Ids(EncodeParts(text ?? textSpan.ToString(), null, values: false, settings.ConsiderNormalization, settings.ConsiderPreTokenization), addSpecialTokens: false);

    private protected override List<PieceToken> EncodeTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, out bool[] cleanAfter)
    {
        List<PieceToken> tokens = Encode(text ?? textSpan.ToString(), null, false, settings.ConsiderNormalization, settings.ConsiderPreTokenization);
        cleanAfter = TokenBudget.CleanCutsByRange(tokens);
        return tokens;
    }

    /// <summary>Decodes ids as the file's decoder does, special added tokens dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not known.</exception>
    public override string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: true);


    /// <summary>The token text of <paramref name="id"/> (an added token's content, else the vocabulary piece).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a known id.</exception>
    public string IdToToken(int id)
    {
        if (_addedById.TryGetValue(id, out AddedToken? added)) return added.Content;
        if ((uint)id < (uint)_pipeline.Model.VocabSize) return _pipeline.Model.Pieces[id];
        throw new ArgumentOutOfRangeException(nameof(id), id, $"id {id} is not in the vocabulary (0..{VocabSize - 1})");
    }

    /// <summary>Encodes text to ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Apply the post-processor's template (e.g. append <c>&lt;/s&gt;</c>).</param>
    /// <exception cref="InvalidOperationException">The text needs an unknown token and the model has no <c>unk_id</c>.</exception>
    public IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens)
        => Ids(EncodeParts(text, null, values: false), addSpecialTokens);

    /// <summary>Encodes text to tokens with ids, token text, and their ranges in the original text (UTF-16 and UTF-8).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Apply the post-processor's template (its tokens have empty ranges).</param>
    /// <exception cref="InvalidOperationException">The text needs an unknown token and the model has no <c>unk_id</c>.</exception>
    public IReadOnlyList<PieceToken> EncodeToPieceTokens(string text, bool addSpecialTokens = false) => Encode(text, null, addSpecialTokens);

    /// <inheritdoc />
    public override IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling) => EncodeToIds(text, sampling, addSpecialTokens: false);

    /// <summary>
    /// Encodes text to tokens with each word's segmentation drawn with probability exactly
    /// <c>exp(alpha * score(w)) / Z</c> (spm's meaning of alpha; words are independent, as HF encodes them),
    /// or the Viterbi result when <paramref name="sampling"/> says so. Word k (from 0, counted over the text,
    /// plus <see cref="SamplingOptions.FirstChunk"/>) draws from its own stream of the seed.
    /// </summary>
    public IReadOnlyList<int> EncodeToIds(string text, SamplingOptions sampling, bool addSpecialTokens = false)
        => Ids(EncodeParts(text, CheckSampling(sampling), values: false), addSpecialTokens);

    /// <summary>Tokens of a drawn segmentation (see <see cref="EncodeToIds(string, SamplingOptions, bool)"/>).</summary>
    public IReadOnlyList<PieceToken> EncodeToPieceTokens(string text, SamplingOptions sampling, bool addSpecialTokens = false)
        => Encode(text, CheckSampling(sampling), addSpecialTokens);

    private static SamplingOptions? CheckSampling(SamplingOptions sampling)
    {
        return sampling.IsViterbi ? null : sampling;
    }

    /// <summary>The ids of the tokens, inside the post-processor's template when asked.</summary>
    private List<int> Ids(List<(int Id, string Value, int Start, int End)> tokens, bool addSpecialTokens)
    {
        var sink = new IdListSink(new List<int>(tokens.Count + 4));
        WriteIds(tokens, addSpecialTokens, ref sink);
        return sink.Ids;
    }

    /// <summary>
    /// Hands the ids of <see cref="EncodeToIds(string, SamplingOptions, bool)"/> to a sink (the streaming encoder's
    /// pooled block), without a list of ids between.
    /// </summary>
    internal void EncodeIds<TSink>(string text, SamplingOptions sampling, bool addSpecialTokens, ref TSink sink) where TSink : ITokenSink, allows ref struct
        => WriteIds(EncodeParts(text, CheckSampling(sampling), values: false), addSpecialTokens, ref sink);

    /// <summary>Hands the ids of the tokens to <paramref name="sink"/> as one chunk (ids only: no offsets), inside the post-processor's template when asked.</summary>
    private void WriteIds<TSink>(List<(int Id, string Value, int Start, int End)> tokens, bool addSpecialTokens, ref TSink sink) where TSink : ITokenSink, allows ref struct
    {
        if (!addSpecialTokens || _pipeline.SingleTemplate is not { } template)
        {
            sink.BeginChunk(tokens.Count);
            foreach (var t in tokens) sink.Add(t.Id, 0, 0);
            return;
        }
        int count = 0;
        foreach (object item in template) count += item is int[] specials ? specials.Length : tokens.Count;
        sink.BeginChunk(count);
        foreach (object item in template)
        {
            if (item is int[] specials) foreach (int id in specials) sink.Add(id, 0, 0);
            else foreach (var t in tokens) sink.Add(t.Id, 0, 0);
        }
    }

    private List<PieceToken> Encode(string text, SamplingOptions? sampling, bool addSpecialTokens, bool normalize = true, bool preTokenize = true)
    {
        List<(int Id, string Value, int Start, int End)> tokens = EncodeParts(text, sampling, values: true, normalize, preTokenize);
        int[] byteOf = Utf8OffsetOfChar(text);
        var result = new List<PieceToken>(tokens.Count + 2);
        void AddToken(int id, string value, int start, int end)
            => result.Add(new PieceToken(id, value, start..end, byteOf[start]..byteOf[end], Encoding.UTF8.GetBytes(value)));
        if (addSpecialTokens && _pipeline.SingleTemplate is { } template)
        {
            foreach (object item in template)
            {
                if (item is int[] ids) foreach (int id in ids) AddToken(id, IdToToken(id), result.Count == 0 ? 0 : result[^1].Offset.End.Value, result.Count == 0 ? 0 : result[^1].Offset.End.Value);
                else foreach (var t in tokens) AddToken(t.Id, t.Value, t.Start, t.End);
            }
            return result;
        }
        foreach (var t in tokens) AddToken(t.Id, t.Value, t.Start, t.End);
        return result;
    }

    /// <summary>The tokens of the text (added tokens and each word's path), with their token text when <paramref name="values"/>.</summary>
    private List<(int Id, string Value, int Start, int End)> EncodeParts(string text, SamplingOptions? sampling, bool values, bool normalize = true, bool preTokenize = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<(int Id, string Value, int Start, int End)>();
        var best = new List<(int, int, int)>(); // each word's Viterbi path, in one list
        long wordIndex = 0;
        foreach (var (isAdded, id, value, start, end, word, utf8) in Parts(text, normalize, preTokenize))
        {
            if (isAdded)
            {
                tokens.Add((id, value, start, end));
                continue;
            }
            List<(int, int, int)> path = best;
            if (sampling is not { } draw) WordLattice.Viterbi(_pipeline.Model, utf8, best);
            else
            {
                CounterRng rng = draw.RngForChunk(wordIndex);
                path = WordLattice.Sample(_pipeline.Model, utf8, draw.Alpha, ref rng);
            }
            wordIndex++;
            AddWordTokens(word!, utf8, path, tokens, values);
        }
        return tokens;
    }

    /// <summary>
    /// The text as the pipeline sees it: added tokens (whole), and the words the normalizer and the
    /// pre-tokenizer make of the parts between them, each with its UTF-8.
    /// </summary>
    private IEnumerable<(bool IsAdded, int Id, string Value, int Start, int End, AlignedText? Word, byte[] Utf8)> Parts(string text, bool normalize = true, bool preTokenize = true)
    {
        foreach (var (start, end, added) in SplitOnAddedTokens(text))
        {
            if (added is not null)
            {
                yield return (true, added.Id, added.Content, start, end, null, []);
                continue;
            }
            AlignedText part = AlignedText.FromString(text, start, end);
            if (normalize && _pipeline.Normalizer is { } normalizer) part = normalizer.Apply(part);
            List<AlignedText> words = preTokenize && _pipeline.PreTokenizer is { } pre ? pre.Split([part]) : [part];
            foreach (AlignedText word in words)
                if (word.Count > 0) yield return (false, 0, "", 0, 0, word, word.ToUtf8());
        }
    }

    /// <summary>A word's path as HF tokenizes it: pieces by id; a fused run of unknowns by its own id if the vocabulary has it, else its bytes (when every byte piece exists), else unk.</summary>
    private void AddWordTokens(AlignedText word, byte[] utf8, List<(int Start, int End, int Cell)> path, List<(int, string, int, int)> tokens, bool values = true)
    {
        // The code point each byte belongs to, for the offsets (pooled: a word's map is dropped after it).
        int[] runeOfByte = ArrayPool<int>.Shared.Rent(utf8.Length + 1);
        for (int k = 0, b = 0; k < word.Count; k++)
        {
            int length = word.Runes[k].Utf8SequenceLength;
            for (int j = 0; j < length; j++) runeOfByte[b + j] = k;
            b += length;
        }
        runeOfByte[utf8.Length] = word.Count;
        try
        {
            AddWordTokens(word, utf8, path, tokens, values, runeOfByte);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(runeOfByte);
        }
    }

    private void AddWordTokens(AlignedText word, byte[] utf8, List<(int Start, int End, int Cell)> path, List<(int, string, int, int)> tokens, bool values, int[] runeOfByte)
    {
        TokenizerJsonUnigram model = _pipeline.Model;
        foreach (var (start, end, cell) in path)
        {
            var (origStart, origEnd) = word.OriginOf(runeOfByte[start], runeOfByte[end]);
            if (cell >= 0)
            {
                tokens.Add((model.TrieIds[model.Trie.PieceAt[cell]], values ? Encoding.UTF8.GetString(utf8, start, end - start) : "", origStart, origEnd));
                continue;
            }
            string piece = Encoding.UTF8.GetString(utf8, start, end - start);
            if (model.TryGetId(piece, out int id))
            {
                tokens.Add((id, piece, origStart, origEnd));
                continue;
            }
            if (model.ByteFallback)
            {
                var bytes = new List<(int, string, int, int)>();
                foreach (byte b in utf8.AsSpan(start, end - start))
                {
                    string name = $"<0x{b:X2}>";
                    if (!model.TryGetId(name, out int byteId)) break;
                    bytes.Add((byteId, name, origStart, origEnd));
                }
                if (bytes.Count == end - start)
                {
                    tokens.AddRange(bytes);
                    continue;
                }
            }
            tokens.Add((model.UnknownId ?? throw new InvalidOperationException("the model has no unk_id"), piece, origStart, origEnd));
        }
    }

    /// <summary>
    /// The <paramref name="k"/> best segmentations of the text (words are independent: the best
    /// combinations of each word's best paths), best first, each with its score (the sum of its pieces'
    /// scores); added tokens are fixed. Exact: each word's list comes from the k-best lattice search.
    /// Fewer when the text has fewer segmentations.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public override IReadOnlyList<Segmentation> NBest(string text, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var parts = Parts(text).ToList();
        // Each part's k best readings become parallel edges of one step of a chain; the chain's n-best
        // order (score, then the prefix's rank, then the reading's rank) is the order of the best
        // combinations, found lazily: no list of k combinations is built per part.
        var readings = new List<(int[] Edges, double Score)>[parts.Count];
        var steps = new LatticeGraph[parts.Count];
        for (int p = 0; p < parts.Count; p++)
        {
            var part = parts[p];
            readings[p] = part.IsAdded ? [([], 0)] : Lattice.NBest.Run(LatticeGraph.ForWord(_pipeline.Model, part.Utf8), k, cancellationToken);
            steps[p] = LatticeGraph.Choices([.. readings[p].Select(r => r.Score)]);
        }
        var tokensOf = new Dictionary<(int Part, int Reading), List<(int Id, string Value, int Start, int End)>>();
        List<(int Id, string Value, int Start, int End)> TokensOf(int p, int reading)
        {
            if (tokensOf.TryGetValue((p, reading), out var known)) return known;
            var part = parts[p];
            var tokens = new List<(int Id, string Value, int Start, int End)>();
            if (part.IsAdded) tokens.Add((part.Id, part.Value, part.Start, part.End));
            else AddWordTokens(part.Word!, part.Utf8, PathOfEdges(part.Utf8.Length, readings[p][reading].Edges), tokens, values: false);
            return tokensOf[(p, reading)] = tokens;
        }
        var result = new List<Segmentation>();
        foreach (var (choice, score) in Lattice.NBest.Run(LatticeGraph.Concatenate(steps, out _), k, cancellationToken))
        {
            var segmentation = new List<(int Id, string Value, int Start, int End)>();
            for (int p = 0; p < choice.Length; p++) segmentation.AddRange(TokensOf(p, choice[p]));
            result.Add(new Segmentation([.. segmentation.Select(t => t.Id)], score) { Offsets = [.. segmentation.Select(t => t.Start..t.End)] });
        }
        return result;
    }

    private protected override IEnumerable<ScoredSegmentation> Samples(string text, SamplingOptions sampling, int numSamples, bool withoutReplacement, bool includeBest)
    {
        var parts = Parts(text).ToList();
        // An added token is a lattice of one fixed edge; a word, its own lattice.
        var graphs = parts.ConvertAll(p => p.IsAdded ? LatticeGraph.Fixed(p.Id) : LatticeGraph.ForWord(_pipeline.Model, p.Utf8));
        LatticeGraph graph = LatticeGraph.Concatenate(graphs, out int[] edgeOffsets);
        if (graph.Length == 0) yield break;
        int[] Ids(int[] edges)
        {
            var tokens = new List<(int Id, string Value, int Start, int End)>();
            int next = 0;
            for (int k = 0; k < parts.Count; k++)
            {
                // The path's edges in text order: those of part k come next, as many as it has.
                int from = next;
                while (next < edges.Length && edges[next] < edgeOffsets[k + 1]) next++;
                var part = parts[k];
                if (part.IsAdded) tokens.Add((part.Id, part.Value, part.Start, part.End));
                else
                {
                    int[] local = [.. edges[from..next].Select(e => graphs[k].Piece[e - edgeOffsets[k]])];
                    AddWordTokens(part.Word!, part.Utf8, PathOfEdges(part.Utf8.Length, local), tokens, values: false);
                }
            }
            return [.. tokens.Select(t => t.Id)];
        }
        CounterRng rng = sampling.RngForChunk(0);
        foreach (ScoredSegmentation sample in LatticeDraws.SampleAndScore(graph, sampling.Alpha, numSamples, withoutReplacement,
            includeBest ? [.. EncodeToIds(text)] : null, Ids, rng))
            yield return sample;
    }

    /// <summary>
    /// The entropy (nats) of the segmentation distribution <c>exp(alpha * score(w)) / Z</c> of the text,
    /// exactly: words are independent, so their entropies (one forward-backward pass each) add.
    /// </summary>
    public override double Entropy(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        SamplingOptions.CheckAlpha(alpha);
        double total = 0;
        foreach (var part in Parts(text))
            if (!part.IsAdded) total += ForwardBackward.Entropy(LatticeGraph.ForWord(_pipeline.Model, part.Utf8), alpha);
        return total;
    }

    /// <summary>
    /// Marginals of the text's lattice: its words' lattices laid end to end, an added token one fixed edge over its
    /// content. Offsets are byte offsets into that sequence (each word's normalized UTF-8, each added token's
    /// content); an unknown character is one edge with the unknown id (HF fuses runs of them after the path is chosen).
    /// </summary>
    /// <inheritdoc />
    public override IReadOnlyList<PieceMarginal> Marginals(string text, double alpha)
    {
        ArgumentNullException.ThrowIfNull(text);
        SamplingOptions.CheckAlpha(alpha);
        TokenizerJsonUnigram model = _pipeline.Model;
        var parts = Parts(text).ToList();
        var graphs = parts.ConvertAll(p => p.IsAdded ? LatticeGraph.Fixed(p.Id, Encoding.UTF8.GetByteCount(p.Value)) : LatticeGraph.ForWord(model, p.Utf8));
        LatticeGraph graph = LatticeGraph.Concatenate(graphs, out int[] edgeOffsets);
        // A word's edges hold trie cells (or ~length for an unknown): give every edge its id.
        for (int k = 0; k < parts.Count; k++)
            if (!parts[k].IsAdded)
                for (int e = edgeOffsets[k]; e < edgeOffsets[k + 1]; e++)
                    graph.Piece[e] = graph.Piece[e] >= 0 ? model.TrieIds[model.Trie.PieceAt[graph.Piece[e]]] : model.UnknownId ?? -1;
        return ForwardBackward.PieceMarginals(graph, alpha, id => id);
    }

    /// <summary>A path given as its edges (trie cell, or ~length for an unknown), read back with HF's fusing.</summary>
    private List<(int, int, int)> PathOfEdges(int n, int[] edges)
    {
        var back = new int[n + 1];
        int position = 0;
        foreach (int edge in edges)
        {
            position += edge >= 0 ? _pipeline.Model.TrieLengths[_pipeline.Model.Trie.PieceAt[edge]] : ~edge;
            back[position] = edge;
        }
        return WordLattice.ReadPath(_pipeline.Model, back, n);
    }

    // ---- the continuation fix (BytePiece.LmTools) ---------------------------------------------

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 (the pipeline reads text).</exception>
    public override PromptLattice PreparePrompt(ReadOnlySpan<byte> prompt)
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
        return PreparePrompt(text);
    }

    private protected override PromptLattice PromptOf(string prompt) => new HuggingFacePromptLattice(this, prompt);

    /// <inheritdoc />
    public override byte[]? GetPieceSpelling(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)VocabSize, nameof(id));
        TokenizerJsonUnigram model = _pipeline.Model;
        if (_addedById.ContainsKey(id) || id == model.UnknownId || id >= model.Pieces.Length) return null;
        byte[] bytes = Encoding.UTF8.GetBytes(model.Pieces[id]);
        return model.ByteFallback && SentencePieceModel.ParseBytePiece(bytes) is int b and >= 0 ? [(byte)b] : bytes;
    }

    /// <summary>
    /// A prompt read as the beginning of a longer text: the ids of what is final (added tokens, and the
    /// words that a continuation cannot extend) with the normalized bytes of those words, and the open
    /// last word's normalized bytes, which a continuation may extend. Found by running the pipeline on the
    /// prompt followed by a sentinel letter (normalizers strip and pre-tokenizers split at the end of a text
    /// as they would not inside one): the word holding the sentinel, cut where it begins, is the open word.
    /// </summary>
    internal (List<int> FinalIds, byte[] FinalBytes, byte[] OpenWord) SplitPrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        char sentinel = PromptSentinel.Pick(c => _pipeline.AddedTokens.Any(t => t.Content.Contains(c)));
        var finalIds = new List<int>();
        var finalBytes = new List<byte>();
        var tokens = new List<(int Id, string Value, int Start, int End)>();
        foreach (var (isAdded, id, _, start, _, word, utf8) in Parts(prompt + sentinel))
        {
            if (isAdded)
            {
                if (start >= prompt.Length) break;
                finalIds.Add(id);
                continue;
            }
            int keep = 0;
            while (keep < word!.Count && word.Origins[keep].Start < prompt.Length) keep++;
            if (keep < word.Count)
                return (finalIds, [.. finalBytes], word.Slice(0, keep).ToUtf8());
            tokens.Clear();
            AddWordTokens(word, utf8, WordLattice.Viterbi(_pipeline.Model, utf8), tokens);
            finalIds.AddRange(tokens.Select(t => t.Id));
            finalBytes.AddRange(utf8);
        }
        return (finalIds, [.. finalBytes], []);
    }

    /// <summary>The back pointers of a word's lattice (HF's Viterbi), to read the best path to any node with <see cref="PathInWord"/>.</summary>
    internal int[] WordBack(byte[] word) => WordLattice.BestBack(_pipeline.Model, word);

    /// <summary>
    /// The best path of a word to <paramref name="end"/> (a character start, or its end): ids (unknowns
    /// fused, byte fallback) and the byte start of each lattice edge (a fused run or a byte-spelled
    /// character counts once).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="end"/> is not a character boundary of the word.</exception>
    internal (int[] Ids, int[] EdgeStarts) PathInWord(byte[] word, int[] back, int end)
    {
        if ((uint)end > (uint)word.Length || (end < word.Length && (word[end] & 0xC0) == 0x80))
            throw new ArgumentOutOfRangeException(nameof(end), $"{end} is not a character boundary of the word");
        var path = WordLattice.ReadPath(_pipeline.Model, back, end);
        var tokens = new List<(int Id, string Value, int Start, int End)>();
        string prefix = Encoding.UTF8.GetString(word, 0, end);
        AddWordTokens(AlignedText.FromString(prefix, 0, prefix.Length), word[..end], path, tokens, values: false);
        return ([.. tokens.Select(t => t.Id)], [.. path.Select(p => p.Start)]);
    }

    /// <summary>
    /// The text cut into added-token matches (leftmost, longest first; lstrip/rstrip take the whitespace
    /// beside them; single_word needs no word character beside the match) and the parts between.
    /// </summary>
    private IEnumerable<(int Start, int End, AddedToken? Token)> SplitOnAddedTokens(string text)
    {
        AddedToken[] byLength = _addedByLength;
        if (byLength.Length == 0)
        {
            yield return (0, text.Length, null);
            yield break;
        }
        int part = 0;
        for (int i = 0; i < text.Length;)
        {
            AddedToken? match = null;
            foreach (AddedToken t in byLength)
            {
                if (!text.AsSpan(i).StartsWith(t.Content, StringComparison.Ordinal)) continue;
                if (t.SingleWord && ((i > 0 && IsWordChar(text[i - 1])) || (i + t.Content.Length < text.Length && IsWordChar(text[i + t.Content.Length])))) continue;
                match = t;
                break;
            }
            if (match is null)
            {
                i++;
                continue;
            }
            int start = i, end = i + match.Content.Length;
            if (match.LeftStrip) while (start > part && char.IsWhiteSpace(text[start - 1])) start--;
            if (match.RightStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > part) yield return (part, start, null);
            yield return (start, end, match);
            part = i = end;
        }
        if (part < text.Length) yield return (part, text.Length, null);

        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }

    /// <summary>Decodes ids as the file's decoder does (special added tokens dropped unless asked).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not known.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _addedById.TryGetValue(id, out AddedToken? t) && t.Special) continue;
            tokens.Add(IdToToken(id));
        }
        return string.Concat(_pipeline.Decoder is { } decoder ? decoder.Decode(tokens) : tokens);
    }

    private static int[] Utf8OffsetOfChar(string text)
    {
        var map = new int[text.Length + 1];
        int b = 0;
        for (int i = 0; i < text.Length; i++)
        {
            map[i] = b;
            char c = text[i];
            b += c < 0x80 ? 1 : c < 0x800 ? 2 : char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]) ? 2 : 3;
        }
        map[text.Length] = b;
        return map;
    }
}
