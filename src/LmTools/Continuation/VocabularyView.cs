using System.Text;

namespace BytePiece.LmTools.Continuation;

/// <summary>
/// A model's vocabulary as a decoding loop needs it: the bytes of every id, which ids are specials, and
/// two prefix queries answered without scanning the vocabulary: the ids whose bytes start with X (a
/// range of the ids sorted by bytes, found by binary search) and the ids whose bytes are a prefix of X
/// (one binary search per prefix length, stopping at the first length no piece starts with). Several ids
/// may have the same bytes (a SentencePiece piece and its byte piece). Immutable and thread-safe.
/// </summary>
public sealed class VocabularyView
{
    private readonly byte[][] _bytes;
    private readonly bool[] _special;
    private readonly int[] _byBytes; // ids of the non-empty, non-special pieces, sorted by bytes (ties by id)

    /// <summary>The view of a BytePiece model (ids 0-2 are the specials <c>&lt;pad&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>).</summary>
    public VocabularyView(UnigramModel model)
        : this(new BytePieceTokenizer(model ?? throw new ArgumentNullException(nameof(model))))
    {
    }

    /// <summary>The view of a SentencePiece model, in its normalized space (see <see cref="UnigramTokenizer.GetPieceSpelling"/>).</summary>
    public VocabularyView(SentencePieceModel model)
        : this(new SentencePieceTokenizer(model ?? throw new ArgumentNullException(nameof(model))))
    {
    }

    /// <summary>
    /// The view of a tokenizer of any family, in the space it reads text in: each id's bytes are
    /// <see cref="UnigramTokenizer.GetPieceSpelling"/>; ids text never produces are specials.
    /// </summary>
    public VocabularyView(UnigramTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        VocabSize = tokenizer.VocabSize;
        _bytes = new byte[VocabSize][];
        _special = new bool[VocabSize];
        for (int id = 0; id < VocabSize; id++)
        {
            byte[]? spelling = tokenizer.GetPieceSpelling(id);
            _bytes[id] = spelling ?? [];
            _special[id] = spelling is null;
        }
        _byBytes = Enumerable.Range(0, VocabSize).Where(id => !_special[id] && _bytes[id].Length > 0).ToArray();
        Array.Sort(_byBytes, (a, b) => _bytes[a].AsSpan().SequenceCompareTo(_bytes[b]) is var c and not 0 ? c : a.CompareTo(b));
        MaxPieceLength = _byBytes.Length == 0 ? 0 : _byBytes.Max(id => _bytes[id].Length);
    }

    /// <summary>One more than the largest id: the length of a logits vector.</summary>
    public int VocabSize { get; }

    /// <summary>Length in bytes of the longest piece.</summary>
    public int MaxPieceLength { get; }

    /// <summary>The bytes of <paramref name="id"/> (empty for a special).</summary>
    public ReadOnlySpan<byte> GetBytes(int id) => _bytes[id];

    /// <summary>Whether <paramref name="id"/> is a special token (never produced from text, never allowed under a constraint).</summary>
    public bool IsSpecial(int id) => _special[id];

    /// <summary>The ids whose bytes start with <paramref name="prefix"/> (itself included when it is a piece), in byte order.</summary>
    public ReadOnlySpan<int> IdsStartingWith(ReadOnlySpan<byte> prefix)
    {
        int lo = LowerBound(prefix, orAfter: false), hi = LowerBound(prefix, orAfter: true);
        return _byBytes.AsSpan(lo, hi - lo);
    }

    /// <summary>Whether some piece is strictly longer than <paramref name="prefix"/> and starts with it.</summary>
    public bool HasStrictExtension(ReadOnlySpan<byte> prefix)
    {
        foreach (int id in IdsStartingWith(prefix))
            if (_bytes[id].Length > prefix.Length) return true;
        return false;
    }

    /// <summary>The ids whose bytes are a non-empty prefix of <paramref name="text"/> (<paramref name="text"/> itself included), shortest first.</summary>
    public List<int> IdsThatArePrefixesOf(ReadOnlySpan<byte> text)
    {
        var result = new List<int>();
        for (int length = 1; length <= Math.Min(text.Length, MaxPieceLength); length++)
        {
            ReadOnlySpan<byte> prefix = text[..length];
            int i = LowerBound(prefix, orAfter: false);
            // No piece starts with this prefix: none can equal a longer one either.
            if (i == _byBytes.Length || !_bytes[_byBytes[i]].AsSpan().StartsWith(prefix)) break;
            for (; i < _byBytes.Length && _bytes[_byBytes[i]].AsSpan().SequenceEqual(prefix); i++) result.Add(_byBytes[i]);
        }
        return result;
    }

    /// <summary>The first position in the sorted ids whose bytes are >= prefix (or, with <paramref name="orAfter"/>, that no longer start with it).</summary>
    private int LowerBound(ReadOnlySpan<byte> prefix, bool orAfter)
    {
        int lo = 0, hi = _byBytes.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            ReadOnlySpan<byte> b = _bytes[_byBytes[mid]];
            bool before = orAfter
                ? (b.StartsWith(prefix) || b.SequenceCompareTo(prefix) < 0)
                : b.SequenceCompareTo(prefix) < 0;
            if (before) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
