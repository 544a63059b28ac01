using System.Text;

namespace BytePiece;

/// <summary>
/// Encodes text with a HuggingFace <c>tokenizer.json</c> whose model is Unigram, the way HuggingFace
/// tokenizers does (not the way SentencePiece does; they differ, see the README): added tokens are cut
/// out of the raw text first; each other part runs through the normalizer, the pre-tokenizer
/// (Metaspace splits into words) and the Unigram model word by word (double scores, unknowns fused,
/// byte fallback); the post-processor adds special tokens when asked. Offsets refer to the original
/// text. Immutable and thread-safe.
/// </summary>
public sealed class HuggingFaceTokenizer
{
    private readonly TokenizerJsonPipeline _pipeline;
    private readonly Dictionary<int, AddedToken> _addedById;

    private HuggingFaceTokenizer(TokenizerJsonPipeline pipeline)
    {
        _pipeline = pipeline;
        _addedById = [];
        foreach (AddedToken t in pipeline.AddedTokens) _addedById[t.Id] = t;
        VocabSize = Math.Max(pipeline.Model.VocabSize, pipeline.AddedTokens.Count == 0 ? 0 : pipeline.AddedTokens.Max(t => t.Id) + 1);
    }

    /// <summary>Loads a tokenizer.json file.</summary>
    /// <exception cref="ModelFormatException">The file is not a tokenizer.json this engine reads (a Unigram model and its supported steps); the message says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static HuggingFaceTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] content = File.ReadAllBytes(path);
        try
        {
            return FromJson(content);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the content of a tokenizer.json.</summary>
    /// <exception cref="ModelFormatException">The content is not a tokenizer.json this engine reads.</exception>
    public static HuggingFaceTokenizer FromJson(ReadOnlySpan<byte> utf8Json) => new(TokenizerJsonReader.Read(utf8Json));

    /// <summary>Number of ids (vocabulary and added tokens).</summary>
    public int VocabSize { get; }

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
    public IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = false)
        => EncodeToTokens(text, addSpecialTokens).Select(t => t.Id).ToList();

    /// <summary>Encodes text to tokens with ids, token text, and their ranges in the original text (UTF-16 and UTF-8).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Apply the post-processor's template (its tokens have empty ranges).</param>
    /// <exception cref="InvalidOperationException">The text needs an unknown token and the model has no <c>unk_id</c>.</exception>
    public IReadOnlyList<EncodedToken> EncodeToTokens(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] byteOf = Utf8OffsetOfChar(text);
        var tokens = new List<(int Id, string Value, int Start, int End)>();
        foreach (var (start, end, added) in SplitOnAddedTokens(text))
        {
            if (added is not null)
            {
                tokens.Add((added.Id, added.Content, start, end));
                continue;
            }
            AlignedText part = AlignedText.FromString(text, start, end);
            if (_pipeline.Normalizer is { } normalizer) part = normalizer.Apply(part);
            List<AlignedText> words = _pipeline.PreTokenizer is { } pre ? pre.Split([part]) : [part];
            foreach (AlignedText word in words) EncodeWord(word, tokens);
        }
        var result = new List<EncodedToken>(tokens.Count + 2);
        void AddToken(int id, string value, int start, int end)
            => result.Add(new EncodedToken(id, value, start..end, byteOf[start]..byteOf[end], Encoding.UTF8.GetBytes(value)));
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

    private void EncodeWord(AlignedText word, List<(int, string, int, int)> tokens)
    {
        if (word.Count == 0) return;
        string wordText = word.ToString();
        byte[] utf8 = Encoding.UTF8.GetBytes(wordText);
        // The code point each byte belongs to, for the offsets.
        var runeOfByte = new int[utf8.Length + 1];
        for (int k = 0, b = 0; k < word.Count; k++)
        {
            int length = word.Runes[k].Utf8SequenceLength;
            for (int j = 0; j < length; j++) runeOfByte[b + j] = k;
            b += length;
        }
        runeOfByte[utf8.Length] = word.Count;
        TokenizerJsonUnigram model = _pipeline.Model;
        foreach (var (start, end, cell) in WordViterbi.Solve(model, utf8))
        {
            var (origStart, origEnd) = word.OriginOf(runeOfByte[start], runeOfByte[end]);
            string piece = Encoding.UTF8.GetString(utf8, start, end - start);
            if (cell >= 0)
            {
                tokens.Add((model.TrieIds[model.Trie.PieceAt[cell]], piece, origStart, origEnd));
                continue;
            }
            // A fused run of unknowns: its own id if the vocabulary has it, else its bytes (when every byte piece exists), else unk.
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
    /// The text cut into added-token matches (leftmost, longest first; lstrip/rstrip take the whitespace
    /// beside them; single_word needs no word character beside the match) and the parts between.
    /// </summary>
    private IEnumerable<(int Start, int End, AddedToken? Token)> SplitOnAddedTokens(string text)
    {
        IReadOnlyList<AddedToken> added = _pipeline.AddedTokens;
        if (added.Count == 0)
        {
            yield return (0, text.Length, null);
            yield break;
        }
        var byLength = added.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToList();
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
