using System.Runtime.InteropServices;
using BytePiece.Lookup;
using BytePiece.Model;
using BytePiece.Training;

namespace BytePiece;

/// <summary>
/// An immutable byte-level Unigram model: pieces (non-empty byte strings) with ids and
/// log-probabilities, the reserved specials <c>&lt;pad&gt;</c>=0, <c>&lt;bos&gt;</c>=1, <c>&lt;eos&gt;</c>=2,
/// the text normalization, and the byte trie used for lookup. Every single byte is a piece, so every
/// byte string has a segmentation. Safe to share between threads.
/// </summary>
public sealed class UnigramModel
{
    // Piece index space 0..PieceCount-1, ordered by id.
    private readonly byte[] _bytes;
    private readonly int[] _offsets;
    private readonly int[] _ids;
    private readonly double[] _logProbs;
    private readonly long[]? _counts;
    private readonly int[] _pieceOfId;

    internal PieceTrie Trie { get; }

    /// <summary>The sampler's edge weights for the last alpha used: a cache, replaced whole, never mutated.</summary>
    internal volatile EdgeWeights? EdgeWeightsCache;

    private UnigramModel(byte[] bytes, int[] offsets, int[] ids, double[] logProbs, long[]? counts,
        int[] pieceOfId, PieceTrie trie, TextNormalization normalization, long totalCount, int maxPieceLength)
    {
        _bytes = bytes;
        _offsets = offsets;
        _ids = ids;
        _logProbs = logProbs;
        _counts = counts;
        _pieceOfId = pieceOfId;
        Trie = trie;
        Normalization = normalization;
        TotalCount = totalCount;
        MaxPieceLength = maxPieceLength;
    }

    /// <summary>Number of pieces (specials not included).</summary>
    public int PieceCount => _ids.Length;

    /// <summary>One more than the largest id, specials included: the size of an embedding table.</summary>
    public int VocabSize => _pieceOfId.Length;

    /// <summary>How text input is normalized before encoding.</summary>
    public TextNormalization Normalization { get; }

    /// <summary>Sum of all piece counts (the <c>T</c> in <c>logp = ln(count) - ln(T)</c>).</summary>
    public long TotalCount { get; }

    /// <summary>Length in bytes of the longest piece.</summary>
    public int MaxPieceLength { get; }

    /// <summary>Whether <paramref name="id"/> is a piece of this model (specials are not pieces).</summary>
    public bool ContainsId(int id) => (uint)id < (uint)_pieceOfId.Length && _pieceOfId[id] >= 0;

    /// <summary>The bytes of piece <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a piece of this model.</exception>
    public ReadOnlySpan<byte> GetPieceBytes(int id)
    {
        int p = PieceIndex(id);
        return _bytes.AsSpan(_offsets[p], _offsets[p + 1] - _offsets[p]);
    }

    /// <summary>The bytes of piece <paramref name="id"/> as memory that stays valid as long as the model.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a piece of this model.</exception>
    public ReadOnlyMemory<byte> GetPieceMemory(int id)
    {
        int p = PieceIndex(id);
        return _bytes.AsMemory(_offsets[p], _offsets[p + 1] - _offsets[p]);
    }

    /// <summary>The log-probability <c>ln(count) - ln(T)</c> of piece <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a piece of this model.</exception>
    public double GetLogProb(int id) => _logProbs[PieceIndex(id)];

    /// <summary>The training count of piece <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a piece of this model.</exception>
    public long GetCount(int id) => _counts![PieceIndex(id)];

    /// <summary>The id of the piece with exactly these bytes.</summary>
    public bool TryGetId(ReadOnlySpan<byte> piece, out int id)
    {
        int p = piece.IsEmpty ? -1 : Trie.Find(piece);
        id = p < 0 ? -1 : _ids[p];
        return p >= 0;
    }

    /// <summary>All pieces with their ids and counts, in id order.</summary>
    public IEnumerable<CountedPiece> Pieces
    {
        get
        {
            for (int p = 0; p < _ids.Length; p++)
                yield return new CountedPiece(_bytes.AsMemory(_offsets[p], _offsets[p + 1] - _offsets[p]), _ids[p], _counts![p]);
        }
    }

    internal int PieceIndex(int id)
    {
        if ((uint)id >= (uint)_pieceOfId.Length || _pieceOfId[id] < 0)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"id {id} is not a piece of this model (pieces have ids {SpecialTokens.Count}..{VocabSize - 1})");
        return _pieceOfId[id];
    }

    internal int IdOfPiece(int pieceIndex) => _ids[pieceIndex];

    internal int PieceLength(int pieceIndex) => _offsets[pieceIndex + 1] - _offsets[pieceIndex];

    internal int PieceOffset(int pieceIndex) => _offsets[pieceIndex];

    internal byte[] PieceBuffer => _bytes;

    /// <summary>Raw arrays for the native writer: ids, offsets into bytes, bytes, counts (piece index order).</summary>
    internal (int[] Ids, int[] Offsets, byte[] Bytes, long[] Counts) RawArrays => (_ids, _offsets, _bytes, _counts!);

    /// <summary>
    /// Builds a model from BytePiece entries (bytes, id, count), validating every rule: pieces non-empty
    /// and unique, ids unique and at least 3, counts positive, all 256 single bytes present.
    /// </summary>
    /// <exception cref="ModelFormatException">A rule is broken, or a size is beyond <see cref="ModelLimits"/>; the message names the piece and id.</exception>
    public static UnigramModel FromCounts(IEnumerable<CountedPiece> pieces, TextNormalization normalization = TextNormalization.Nfc)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var list = pieces as IReadOnlyCollection<CountedPiece> ?? pieces.ToList();
        int n = list.Count;
        var ids = new int[n];
        var counts = new long[n];
        var offsets = new int[n + 1];
        long totalBytes = 0;
        int k = 0;
        foreach (var piece in list)
        {
            ids[k] = piece.Id;
            counts[k] = piece.Count;
            ModelLimits.CheckPieceLength(piece.Bytes.Length, k);
            totalBytes += piece.Bytes.Length;
            ModelLimits.CheckVocabulary(k + 1, totalBytes);
            offsets[k + 1] = (int)totalBytes;
            k++;
        }
        var bytes = new byte[totalBytes];
        k = 0;
        foreach (var piece in list) piece.Bytes.Span.CopyTo(bytes.AsSpan(offsets[k++]));
        return Create(ids, offsets, bytes, counts, normalization);
    }

    /// <summary>
    /// Builds a model from pieces and counts, assigning ids as BytePiece does: pieces ordered by
    /// (byte length, then bytes), the first getting id 3.
    /// </summary>
    /// <exception cref="ModelFormatException">A rule is broken (empty or duplicate piece, count not positive, missing byte).</exception>
    public static UnigramModel FromCounts(IEnumerable<KeyValuePair<byte[], long>> pieceCounts, TextNormalization normalization = TextNormalization.Nfc)
    {
        ArgumentNullException.ThrowIfNull(pieceCounts);
        var sorted = pieceCounts.ToList();
        sorted.Sort((a, b) => a.Key.Length != b.Key.Length ? a.Key.Length.CompareTo(b.Key.Length) : a.Key.AsSpan().SequenceCompareTo(b.Key));
        return FromCounts(sorted.Select((kv, i) => new CountedPiece(kv.Key, SpecialTokens.Count + i, kv.Value)), normalization);
    }

    /// <summary>Validates the arrays (taking ownership of them) and builds the model and its trie.</summary>
    internal static UnigramModel Create(int[] ids, int[] offsets, byte[] bytes, long[] counts, TextNormalization normalization,
        (TrieNode[] Nodes, int[] PieceAt)? storedTrie = null, bool verifyStoredTrie = true)
    {
        int n = ids.Length;
        long total = 0;
        int maxLength = 0;
        int maxId = SpecialTokens.Count - 1;
        Span<bool> seenByte = stackalloc bool[256];
        for (int p = 0; p < n; p++)
        {
            int length = offsets[p + 1] - offsets[p];
            if (length <= 0)
                throw new ModelFormatException($"piece with id {ids[p]} is empty; pieces must have at least one byte");
            if (ids[p] < SpecialTokens.Count)
                throw new ModelFormatException($"piece {Describe(bytes, offsets, p)} has id {ids[p]}; ids 0-2 are reserved for <pad>, <bos>, <eos>");
            if (counts[p] <= 0)
                throw new ModelFormatException($"piece {Describe(bytes, offsets, p)} (id {ids[p]}) has count {counts[p]}; counts must be positive");
            if (length == 1) seenByte[bytes[offsets[p]]] = true;
            maxLength = Math.Max(maxLength, length);
            maxId = Math.Max(maxId, ids[p]);
            try { total = checked(total + counts[p]); }
            catch (OverflowException) { throw new ModelFormatException($"the sum of counts overflows a 64-bit integer at piece {Describe(bytes, offsets, p)} (id {ids[p]})"); }
        }
        int missing = seenByte.IndexOf(false);
        if (missing >= 0)
        {
            int others = seenByte[(missing + 1)..].Count(false);
            throw new ModelFormatException($"the model has no single-byte piece 0x{missing:X2}" +
                (others > 0 ? $" (and {others} other bytes are missing)" : "") +
                "; every byte must be a piece so that any input can be encoded");
        }
        // Ids are kept exactly as loaded; a lookup table indexed by id must stay proportionate to the vocabulary.
        if (maxId > 4L * n + 1024)
            throw new ModelFormatException($"ids are too sparse: the largest id is {maxId} for {n} pieces");
        var pieceOfId = new int[maxId + 1];
        pieceOfId.AsSpan().Fill(-1);
        for (int p = 0; p < n; p++)
        {
            ref int slot = ref pieceOfId[ids[p]];
            if (slot >= 0)
                throw new ModelFormatException($"id {ids[p]} is used by two pieces: {Describe(bytes, offsets, slot)} and {Describe(bytes, offsets, p)}");
            slot = p;
        }

        // logp = ln(count) - ln(T), two logs then a subtraction, exactly as BytePiece computes it.
        var logProbs = new double[n];
        double logTotal = Math.Log(total);
        for (int p = 0; p < n; p++) logProbs[p] = Math.Log(counts[p]) - logTotal;

        PieceTrie? trie;
        if (storedTrie is { } stored)
        {
            // A stored trie saves the build (most of a load); it is checked, not trusted, unless it is the
            // embedded default model's (NativeModelFormat.ReadTrusted).
            trie = PieceTrie.FromArrays(stored.Nodes, stored.PieceAt, bytes, offsets, logProbs, verifyStoredTrie, out string? error)
                ?? throw new ModelFormatException(error!);
        }
        else
        {
            trie = PieceTrie.Build(bytes, offsets, logProbs, out var dup)
                ?? throw new ModelFormatException($"piece {Describe(bytes, offsets, dup.First)} appears twice (ids {ids[dup.First]} and {ids[dup.Second]})");
        }
        return new UnigramModel(bytes, offsets, ids, logProbs, counts, pieceOfId, trie, normalization, total, maxLength);
    }

    private static string Describe(byte[] bytes, int[] offsets, int p)
    {
        var piece = bytes.AsSpan(offsets[p], offsets[p + 1] - offsets[p]);
        return $"\"{PieceText.FormatForListing(piece)}\" (base64 {Convert.ToBase64String(piece)})";
    }
}
