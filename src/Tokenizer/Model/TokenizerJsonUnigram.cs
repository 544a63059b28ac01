using System.Text;
using BytePiece.Lookup;

namespace BytePiece.Model;

/// <summary>
/// The <c>Unigram</c> model of a tokenizer.json, with HuggingFace's semantics (models/unigram): scores
/// in double; every vocabulary entry is in the trie (specials and byte pieces too); the minimum score is
/// taken over the whole vocabulary; the unknown id may be absent; with byte fallback an unknown run
/// becomes its <c>&lt;0xHH&gt;</c> pieces when all of them exist, else the unknown id.
/// </summary>
internal sealed class TokenizerJsonUnigram
{
    public readonly string[] Pieces;
    public readonly double[] Scores;
    public readonly PieceTrie Trie;
    public readonly int[] TrieIds;
    public readonly int[] TrieLengths;
    public readonly int? UnknownId;
    public readonly bool ByteFallback;
    public readonly double MinScore;
    private readonly Dictionary<string, int> _ids;

    public TokenizerJsonUnigram(List<(string Piece, double Score)> vocab, int? unknownId, bool byteFallback)
    {
        if (vocab.Count == 0) throw new ModelFormatException("the Unigram vocabulary is empty");
        if (unknownId is int u && (u < 0 || u >= vocab.Count)) throw new ModelFormatException($"unk_id {u} is outside the vocabulary (0..{vocab.Count - 1})");
        Pieces = vocab.Select(v => v.Piece).ToArray();
        Scores = vocab.Select(v => v.Score).ToArray();
        UnknownId = unknownId;
        ByteFallback = byteFallback;
        MinScore = Scores.Min();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < Pieces.Length; id++) _ids[Pieces[id]] = id; // a repeated piece maps to its last id, as in HF

        // One trie entry per distinct non-empty piece, holding the id HF's lookup would give it.
        var distinct = _ids.Where(kv => kv.Key.Length > 0).OrderBy(kv => kv.Value).ToList();
        var offsets = new int[distinct.Count + 1];
        for (int k = 0; k < distinct.Count; k++) offsets[k + 1] = offsets[k] + Encoding.UTF8.GetByteCount(distinct[k].Key);
        var bytes = new byte[offsets[^1]];
        for (int k = 0; k < distinct.Count; k++) Encoding.UTF8.GetBytes(distinct[k].Key, bytes.AsSpan(offsets[k]));
        PieceBytes = Pieces.Sum(p => (long)Encoding.UTF8.GetByteCount(p));
        double[] trieScores = distinct.Select(kv => Scores[kv.Value]).ToArray();
        Trie = PieceTrie.Build(bytes, offsets, trieScores, out _)
            ?? throw new ModelFormatException("the Unigram vocabulary could not be indexed");
        TrieIds = distinct.Select(kv => kv.Value).ToArray();
        TrieLengths = Enumerable.Range(0, distinct.Count).Select(k => offsets[k + 1] - offsets[k]).ToArray();
    }

    public int VocabSize => Pieces.Length;

    /// <summary>The UTF-8 bytes of all vocabulary entries together.</summary>
    public long PieceBytes { get; }

    public bool TryGetId(string piece, out int id) => _ids.TryGetValue(piece, out id);
}
