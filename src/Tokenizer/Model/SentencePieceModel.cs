using System.Text;
using BytePiece.Lookup;
using BytePiece.Model;
using BytePiece.Normalization;

namespace BytePiece;

/// <summary>
/// An immutable SentencePiece Unigram model: pieces (UTF-8, id = position) with float32 scores and
/// types, the normalizer (precompiled charsmap and whitespace rules) and the settings that change
/// encoding (byte fallback, whitespace as suffix) and decoding (unknown surface). Loaded from a
/// <c>.model</c> file with every check spm makes at load time. Safe to share between threads.
/// </summary>
public sealed class SentencePieceModel
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;
    private readonly float[] _scores;
    private readonly SentencePieceType[] _types;
    private readonly Dictionary<string, int> _reserved;
    private readonly PieceTrie _lookup;
    private readonly int[] _lookupIds;
    private readonly int[]? _byteIds;

    /// <summary>The lattice's pieces (NORMAL and USER_DEFINED; the trie's cell scores are spm's lattice scores, as doubles).</summary>
    internal PieceTrie Trie { get; }

    /// <summary>
    /// The cell of <see cref="Trie"/> that U+2581 (E2 96 81, the escaped space every word starts with) leads
    /// to from the root, when the two cells on the way end no piece (so a walk may jump there without
    /// missing an edge); else -1.
    /// </summary>
    internal int SpaceCell { get; }

    /// <summary>The id of each trie piece.</summary>
    internal int[] TrieIds { get; }

    /// <summary>The sampler's edge weights for the last alphas used, latest first: a cache, replaced whole.</summary>
    internal volatile SentencePieceEdgeWeights[] EdgeWeightsCache = [];

    /// <summary>
    /// The lattice's pieces again, over character labels (<see cref="Chars"/>): what the lattice walks on
    /// valid UTF-8, a character per step. Its <c>PieceAt</c> holds the same piece indices as <see cref="Trie"/>;
    /// pieces that are not valid UTF-8 are left out (on valid text they never end at a character boundary).
    /// Null when the vocabulary has too many characters for 16-bit labels. Built on first use (a model
    /// that only ever sees ASCII-heavy text does not pay for it), once, by whichever thread comes first.
    /// </summary>
    internal PieceTrie? CharTrie => _charLattice.Value.Trie;

    /// <summary>The labels of <see cref="CharTrie"/>.</summary>
    internal CharAlphabet? Chars => _charLattice.Value.Chars;

    private readonly Lazy<(PieceTrie? Trie, CharAlphabet? Chars)> _charLattice;

    internal SentencePieceNormalizer Normalizer { get; }

    /// <summary>What spm applies to decoded text (the model's <c>denormalizer_spec</c>), when it has a charsmap.</summary>
    internal SentencePieceNormalizer? Denormalizer { get; }

    private SentencePieceModel(byte[] bytes, int[] offsets, float[] scores, SentencePieceType[] types, SentencePieceSpec spec,
        Dictionary<string, int> reserved, PieceTrie lookup, int[] lookupIds, PieceTrie trie, int[] trieIds,
        SentencePieceNormalizer normalizer, int[]? byteIds, int unknownId, float minScore, float maxScore)
    {
        _bytes = bytes;
        _offsets = offsets;
        _scores = scores;
        _types = types;
        _reserved = reserved;
        _lookup = lookup;
        _lookupIds = lookupIds;
        Trie = trie;
        TrieIds = trieIds;
        int e2 = trie.Walk(PieceTrie.Root, [0xE2]), e296 = trie.Walk(PieceTrie.Root, [0xE2, 0x96]);
        SpaceCell = e296 >= 0 && double.IsNegativeInfinity(trie.Scores[e2]) && double.IsNegativeInfinity(trie.Scores[e296])
            ? trie.Walk(e296, [0x81]) : -1;
        _charLattice = new(() => BuildCharTrie(trie, Array.ConvertAll(trieIds, id => bytes[offsets[id]..offsets[id + 1]])), LazyThreadSafetyMode.ExecutionAndPublication);
        Normalizer = normalizer;
        // As spm: a denormalizer only with a charsmap, built from its spec alone (no user-defined symbols, never as suffix).
        if (spec.Denormalizer is { CharsMap.Length: > 0 } d)
            Denormalizer = new SentencePieceNormalizer(Normalization.PrecompiledCharsMap.Parse(d.CharsMap), null, d.AddDummyPrefix,
                d.RemoveExtraWhitespaces, d.EscapeWhitespaces, whitespaceAsSuffix: false);
        _byteIds = byteIds;
        MinScore = minScore;
        MaxScore = maxScore;
        ByteFallback = spec.ByteFallback;
        AddDummyPrefix = spec.AddDummyPrefix;
        RemoveExtraWhitespaces = spec.RemoveExtraWhitespaces;
        EscapeWhitespaces = spec.EscapeWhitespaces;
        TreatWhitespaceAsSuffix = spec.TreatWhitespaceAsSuffix;
        NormalizerName = spec.NormalizerName;
        PrecompiledCharsMap = spec.CharsMap ?? [];
        UnknownSurface = spec.UnknownSurface;
        UnknownId = unknownId;
        BosId = ControlId(spec.BosPiece);
        EosId = ControlId(spec.EosPiece);
        PadId = ControlId(spec.PadPiece);
    }

    /// <summary>Number of pieces; ids are 0..VocabSize-1.</summary>
    public int VocabSize => _types.Length;

    /// <summary>Id of the unknown piece.</summary>
    public int UnknownId { get; }

    /// <summary>Id of the beginning-of-sentence control piece, or -1 when the model has none.</summary>
    public int BosId { get; }

    /// <summary>Id of the end-of-sentence control piece, or -1 when the model has none.</summary>
    public int EosId { get; }

    /// <summary>Id of the padding control piece, or -1 when the model has none.</summary>
    public int PadId { get; }

    /// <summary>Unknown characters become <c>&lt;0xHH&gt;</c> byte pieces instead of <c>&lt;unk&gt;</c>.</summary>
    public bool ByteFallback { get; }

    /// <summary>A U+2581 is put before the text (after it with <see cref="TreatWhitespaceAsSuffix"/>).</summary>
    public bool AddDummyPrefix { get; }

    /// <summary>Leading, trailing and repeated spaces are removed.</summary>
    public bool RemoveExtraWhitespaces { get; }

    /// <summary>Spaces are written as U+2581.</summary>
    public bool EscapeWhitespaces { get; }

    /// <summary>The dummy U+2581 goes at the end instead of the start.</summary>
    public bool TreatWhitespaceAsSuffix { get; }

    /// <summary>The precompiled charsmap as stored in the model (empty when the model maps no characters).</summary>
    public ReadOnlyMemory<byte> PrecompiledCharsMap { get; }

    /// <summary>The normalization rule's name (nmt_nfkc, nfkc, identity, ...; informational).</summary>
    public string NormalizerName { get; }

    /// <summary>What <c>&lt;unk&gt;</c> decodes to (default " ⁇ ").</summary>
    public string UnknownSurface { get; }

    /// <summary>The smallest score of a NORMAL piece (unknown characters score this minus 10).</summary>
    public float MinScore { get; }

    /// <summary>The largest score of a NORMAL piece, floored at the smallest positive float as spm does.</summary>
    public float MaxScore { get; }

    /// <summary>The piece of <paramref name="id"/> as UTF-8 (with U+2581 for spaces, as stored).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public ReadOnlySpan<byte> GetPieceBytes(int id)
    {
        CheckId(id);
        return _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);
    }

    /// <summary>The piece of <paramref name="id"/> as stored (spm's <c>IdToPiece</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public string IdToPiece(int id) => Encoding.UTF8.GetString(GetPieceBytes(id));

    /// <summary>The score of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public float GetScore(int id)
    {
        CheckId(id);
        return _scores[id];
    }

    /// <summary>The type of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public SentencePieceType GetPieceType(int id)
    {
        CheckId(id);
        return _types[id];
    }

    /// <summary>The id of <paramref name="piece"/> (spm's <c>PieceToId</c>): control, unknown and byte pieces first, then the rest; the unknown id when absent.</summary>
    public int PieceToId(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (_reserved.TryGetValue(piece, out int id)) return id;
        byte[] utf8 = Encoding.UTF8.GetBytes(piece);
        int p = utf8.Length == 0 ? -1 : _lookup.Find(utf8);
        return p >= 0 ? _lookupIds[p] : UnknownId;
    }

    /// <summary>The id of byte piece <c>&lt;0xHH&gt;</c> for <paramref name="b"/> (byte fallback models only).</summary>
    internal int ByteId(byte b) => _byteIds![b];

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_types.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"id {id} is not in the vocabulary (0..{_types.Length - 1})");
    }

    private int ControlId(string piece)
    {
        int id = PieceToId(piece);
        return _types[id] == SentencePieceType.Control ? id : -1;
    }

    /// <summary>Builds the model, with spm's load-time checks (model_interface.cc) and clear messages.</summary>
    internal static SentencePieceModel Create(List<(byte[] Bytes, float Score, SentencePieceType Type)> pieces, SentencePieceSpec spec)
    {
        int n = pieces.Count;
        if (n == 0) throw new ModelFormatException("the model has no pieces");
        var offsets = new int[n + 1];
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            total += pieces[i].Bytes.Length;
            if (total > Array.MaxLength) throw new ModelFormatException("the pieces hold more than 2 GB");
            offsets[i + 1] = (int)total;
        }
        var bytes = new byte[total];
        var scores = new float[n];
        var types = new SentencePieceType[n];
        var reserved = new Dictionary<string, int>(StringComparer.Ordinal);
        var byteIds = spec.ByteFallback ? new int[256] : null;
        byteIds?.AsSpan().Fill(-1);
        int unknown = -1, unused = 0;
        float minScore = float.MaxValue, maxScore = BitConverter.Int32BitsToSingle(0x00800000); // FLT_MIN, as spm initializes it
        for (int i = 0; i < n; i++)
        {
            var (piece, score, type) = pieces[i];
            piece.CopyTo(bytes, offsets[i]);
            scores[i] = score;
            types[i] = type;
            if (piece.Length == 0) throw new ModelFormatException($"piece {i} is empty");
            if (piece.AsSpan().IndexOf((byte)0) >= 0) throw new ModelFormatException($"piece {i} contains a NUL byte");
            ModelLimits.CheckScore(score, i);
            string text = Encoding.UTF8.GetString(piece);
            switch (type)
            {
                case SentencePieceType.Normal:
                    minScore = Math.Min(minScore, score);
                    maxScore = Math.Max(maxScore, score);
                    break;
                case SentencePieceType.Unused:
                    unused++;
                    break;
                case SentencePieceType.Unknown:
                    if (unknown >= 0) throw new ModelFormatException($"two unknown pieces: ids {unknown} and {i}");
                    unknown = i;
                    break;
                case SentencePieceType.Byte:
                    if (byteIds is null) throw new ModelFormatException($"byte piece {text} (id {i}) found although byte_fallback is false");
                    int b = ParseBytePiece(piece);
                    if (b < 0) throw new ModelFormatException($"byte piece {text} (id {i}) is not of the form <0xHH>");
                    byteIds[b] = i;
                    break;
            }
            if (type is (SentencePieceType.Unknown or SentencePieceType.Control or SentencePieceType.Byte) && !reserved.TryAdd(text, i))
                throw new ModelFormatException($"piece {text} is defined twice (ids {reserved[text]} and {i})");
        }
        if (unknown < 0) throw new ModelFormatException("the model has no unknown piece (type UNKNOWN)");
        if (byteIds is not null && Array.IndexOf(byteIds, -1) is int missing and >= 0)
            throw new ModelFormatException($"byte_fallback is on but byte piece <0x{missing:X2}> is missing (all 256 are required)");

        // Text-matchable pieces: NORMAL and USER_DEFINED (UNUSED are found by PieceToId but never produced).
        // spm scores a user-defined piece `length * max_score - 0.1` (a double: 0.1 is a double literal);
        // the expression's type makes every piece score a double there, so the lattice gets doubles.
        double LatticeScore(int id) => types[id] == SentencePieceType.UserDefined
            ? (double)((float)(offsets[id + 1] - offsets[id]) * maxScore) - 0.1
            : scores[id];
        var (trie, trieIds) = BuildTrie(bytes, offsets, types, t => t is SentencePieceType.Normal or SentencePieceType.UserDefined, LatticeScore);
        var (lookup, lookupIds) = unused == 0 ? (trie, trieIds)
            : BuildTrie(bytes, offsets, types, t => t is SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused, null);

        PieceTrie? userTrie = !types.Contains(SentencePieceType.UserDefined) ? null : BuildTrie(bytes, offsets, types, t => t == SentencePieceType.UserDefined, null).Trie;
        Normalization.PrecompiledCharsMap? charsMap = spec.CharsMap is { Length: > 0 } blob ? Normalization.PrecompiledCharsMap.Parse(blob) : null;
        var normalizer = new SentencePieceNormalizer(charsMap, userTrie, spec.AddDummyPrefix, spec.RemoveExtraWhitespaces,
            spec.EscapeWhitespaces, spec.TreatWhitespaceAsSuffix);
        return new SentencePieceModel(bytes, offsets, scores, types, spec, reserved, lookup, lookupIds, trie, trieIds,
            normalizer, byteIds, unknown, minScore, maxScore);
    }

    private static (PieceTrie Trie, int[] Ids) BuildTrie(byte[] bytes, int[] offsets, SentencePieceType[] types, Func<SentencePieceType, bool> include,
        Func<int, double>? score)
    {
        var ids = new List<int>();
        for (int i = 0; i < types.Length; i++) if (include(types[i])) ids.Add(i);
        var subOffsets = new int[ids.Count + 1];
        for (int k = 0; k < ids.Count; k++) subOffsets[k + 1] = subOffsets[k] + offsets[ids[k] + 1] - offsets[ids[k]];
        var subBytes = new byte[subOffsets[^1]];
        for (int k = 0; k < ids.Count; k++) bytes.AsSpan(offsets[ids[k]], subOffsets[k + 1] - subOffsets[k]).CopyTo(subBytes.AsSpan(subOffsets[k]));
        PieceTrie trie = PieceTrie.Build(subBytes, subOffsets, ids.Select(id => score?.Invoke(id) ?? 0).ToArray(), out var dup)
            ?? throw new ModelFormatException($"piece {Encoding.UTF8.GetString(subBytes.AsSpan(subOffsets[dup.First], subOffsets[dup.First + 1] - subOffsets[dup.First]))} is defined twice (ids {ids[dup.First]} and {ids[dup.Second]})");
        return (trie, ids.ToArray());
    }

    private static (PieceTrie?, CharAlphabet?) BuildCharTrie(PieceTrie trie, byte[][] pieces)
    {
        if (CharAlphabet.Build(pieces) is not var (alphabet, labels)) return (null, null);
        var kept = new List<int>();
        var flat = new List<int>();
        var offsets = new List<int> { 0 };
        var scores = new List<double>();
        for (int k = 0; k < pieces.Length; k++)
        {
            if (labels[k] is not { } l) continue;
            kept.Add(k);
            flat.AddRange(l);
            offsets.Add(flat.Count);
            scores.Add(trie.Scores[trie.Walk(PieceTrie.Root, pieces[k])]);
        }
        PieceTrie charTrie = PieceTrie.Build([.. flat], [.. offsets], [.. scores], alphabet.Size, out _)
            ?? throw new InvalidOperationException("two trie pieces spell the same characters"); // they are distinct byte strings
        int[] pieceAt = charTrie.PieceAt;
        for (int c = 0; c < pieceAt.Length; c++) if (pieceAt[c] >= 0) pieceAt[c] = kept[pieceAt[c]];
        return (charTrie, alphabet);
    }

    /// <summary>The byte of a <c>&lt;0xHH&gt;</c> piece (upper-case hex, as spm writes them), or -1.</summary>
    internal static int ParseBytePiece(ReadOnlySpan<byte> piece)
    {
        if (piece.Length != 6 || !piece.StartsWith("<0x"u8) || piece[5] != (byte)'>') return -1;
        int hi = Hex(piece[3]), lo = Hex(piece[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        static int Hex(byte c) => c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'A' and <= (byte)'F' ? c - 'A' + 10 : -1;
    }

}
