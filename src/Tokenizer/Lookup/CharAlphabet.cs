using System.Text;
using BytePiece.Text;

namespace BytePiece.Lookup;

/// <summary>
/// Dense labels for the characters that occur in a vocabulary's pieces (0: a character no piece holds),
/// so that a trie can step a whole character at a time: one dependent load per character instead of
/// one per UTF-8 byte. ASCII is labelled byte + 1; the other characters follow, the most frequent first,
/// which keeps the trie's busiest cells close together.
/// </summary>
internal sealed class CharAlphabet
{
    private readonly ushort[] _bmp;
    private readonly Dictionary<int, ushort> _supplementary;

    private CharAlphabet(ushort[] bmp, Dictionary<int, ushort> supplementary, int size)
    {
        _bmp = bmp;
        _supplementary = supplementary;
        Size = size;
    }

    /// <summary>Labels run from 0 to Size - 1.</summary>
    public int Size { get; }

    /// <summary>
    /// The alphabet of <paramref name="pieces"/> (UTF-8) and each piece as a label sequence, or null for a
    /// piece that is not valid UTF-8 (such a piece never spans whole characters of valid text). Null
    /// altogether when the pieces hold more characters than 16-bit labels can number.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (CharAlphabet Alphabet, int[]?[] Labels)? Build(IReadOnlyList<byte[]> pieces)
    {
        var decoded = new int[]?[pieces.Count];
        var frequency = new Dictionary<int, int>();
        for (int p = 0; p < pieces.Count; p++)
        {
            ReadOnlySpan<byte> bytes = pieces[p];
            var codePoints = new List<int>();
            while (!bytes.IsEmpty)
            {
                if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int length) != System.Buffers.OperationStatus.Done)
                {
                    codePoints = null;
                    break;
                }
                codePoints.Add(rune.Value);
                bytes = bytes[length..];
            }
            if (codePoints is null) continue;
            decoded[p] = [.. codePoints];
            foreach (int cp in codePoints) frequency[cp] = frequency.GetValueOrDefault(cp) + 1;
        }
        if (frequency.Count + 128 >= ushort.MaxValue) return null;
        var bmp = new ushort[65536];
        var supplementary = new Dictionary<int, ushort>();
        // ASCII keeps its own order (label = byte + 1): its subtrees pack as in the byte trie, and text
        // needs no table for it. The other characters follow, most frequent first.
        for (int b = 0; b < 128; b++) bmp[b] = (ushort)(b + 1);
        ushort next = 129;
        foreach (int cp in frequency.Where(kv => kv.Key >= 128).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => kv.Key))
        {
            if (cp < 65536) bmp[cp] = next;
            else supplementary[cp] = next;
            next++;
        }
        var alphabet = new CharAlphabet(bmp, supplementary, next);
        var labels = new int[]?[pieces.Count];
        for (int p = 0; p < pieces.Count; p++)
            if (decoded[p] is { } cps) labels[p] = Array.ConvertAll(cps, alphabet.LabelOf);
        return (alphabet, labels);
    }

    /// <summary>The label of a code point (0 when no piece holds it).</summary>
    public int LabelOf(int codePoint)
        => codePoint < 65536 ? _bmp[codePoint] : _supplementary.GetValueOrDefault(codePoint);

    /// <summary>
    /// Labels and end offsets of the characters of <paramref name="text"/>, stepping as spm does (the lead
    /// byte's announced length). False, with nothing usable written, when the text is not valid UTF-8.
    /// </summary>
    public bool TryLabel(ReadOnlySpan<byte> text, Span<int> labels, Span<int> ends, out int count)
    {
        ushort[] bmp = _bmp;
        count = 0;
        int i = 0, n = text.Length;
        while (i < n)
        {
            byte b = text[i];
            if (b < 0x80)
            {
                labels[count] = b + 1;
                ends[count++] = ++i;
                continue;
            }
            if (!Utf8Text.TryDecodeAt(text, i, out int cp, out int length)) return false;
            i += length;
            labels[count] = cp < 65536 ? bmp[cp] : _supplementary.GetValueOrDefault(cp);
            ends[count] = i;
            count++;
        }
        return true;
    }
}
