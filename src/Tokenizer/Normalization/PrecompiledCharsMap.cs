using System.Buffers.Binary;
using BytePiece.Text;

namespace BytePiece.Normalization;

/// <summary>
/// SentencePiece's precompiled character map: a darts-clone double array mapping UTF-8 keys to offsets
/// into a pool of NUL-terminated replacement strings. Layout: <c>u32 LE trie size T</c>, <c>T</c> bytes
/// of 32-bit little-endian units, then the pool. Matching walks the units exactly as darts-clone's
/// <c>commonPrefixSearch</c> does (so results equal spm's by construction) and keeps the longest key.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _pool;

    // For each ASCII byte: 1 when the map never starts a key with it (copy it, whatever follows),
    // 2 when every key starting with it continues with a non-ASCII byte (copy it when the next byte is
    // ASCII or the end). Derived from the blob, never assumed: this is the fast path for plain text.
    private readonly byte[] _asciiIdentity = new byte[128];

    // One bit per code point U+0080..U+FFFF: set when no key starts with its UTF-8 (so it is copied as
    // it is, whatever follows). The same fast path for CJK and other non-ASCII text.
    private readonly ulong[] _bmpIdentity = new ulong[65536 / 64];

    private PrecompiledCharsMap(uint[] units, byte[] pool)
    {
        _units = units;
        _pool = pool;
        for (int b = 0; b < 128; b++) _asciiIdentity[b] = ClassifyAscii((byte)b);
        Span<byte> utf8 = stackalloc byte[4];
        for (int cp = 0x80; cp < 0x10000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            int length = new System.Text.Rune(cp).EncodeToUtf8(utf8);
            if (!AnyKeyStartsWith(utf8[..length])) _bmpIdentity[cp >> 6] |= 1UL << cp;
        }
    }

    /// <summary>For each ASCII byte: 1 when no key starts with it, 2 when keys starting with it continue with non-ASCII bytes only, else 0.</summary>
    public ReadOnlySpan<byte> AsciiIdentity => _asciiIdentity;

    /// <summary>Parses the blob (the <c>precompiled_charsmap</c> field), checking what a walk relies on.</summary>
    /// <exception cref="ModelFormatException">The blob is malformed.</exception>
    public static PrecompiledCharsMap Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length <= 4) throw new ModelFormatException($"the precompiled charsmap has {blob.Length} bytes; it is too short to hold a trie");
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize >= (uint)blob.Length - 4 + 1 || trieSize % 4 != 0 || trieSize == 0)
            throw new ModelFormatException($"the precompiled charsmap's trie size {trieSize} does not fit its {blob.Length} bytes");
        var units = new uint[trieSize / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob[(4 + 4 * i)..]);
        byte[] pool = blob[(4 + (int)trieSize)..].ToArray();
        // Leaf units (bit 31 set) hold pool offsets: check them all now, so that a lookup never fails later.
        foreach (uint unit in units)
            if ((unit & 0x80000000u) != 0 && (unit & 0x7FFFFFFF) > (uint)pool.Length)
                throw new ModelFormatException($"the precompiled charsmap points at byte {unit & 0x7FFFFFFF} of a {pool.Length}-byte pool");
        return new PrecompiledCharsMap(units, pool);
    }

    /// <summary>
    /// The longest key that prefixes <paramref name="input"/>: its length and its replacement (possibly
    /// empty, a deletion). Zero when no key matches.
    /// </summary>
    public int LongestMatch(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        replacement = default;
        if ((uint)input[0] < 128)
        {
            byte identity = _asciiIdentity[input[0]];
            if (identity == 1 || (identity == 2 && (input.Length == 1 || input[1] < 128))) return 0;
        }
        uint[] units = _units;
        uint id = Offset(units[0]);
        int longest = 0;
        uint value = 0;
        for (int i = 0; i < input.Length; i++)
        {
            byte c = input[i];
            id ^= c;
            if (id >= (uint)units.Length) break;
            uint unit = units[id];
            if (Label(unit) != c) break;
            id ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if (id >= (uint)units.Length) break;
                longest = i + 1;
                value = units[id] & 0x7FFFFFFF;
            }
        }
        if (longest == 0) return 0;
        replacement = PoolString(value);
        return longest;
    }

    /// <summary>
    /// How many leading bytes of <paramref name="input"/> are characters other than space that the map
    /// leaves as they are (ASCII, and valid two- and three-byte sequences no key starts with): a run the
    /// normalizer may copy without lookups. Stops at anything else (a key, a four-byte or malformed sequence).
    /// </summary>
    public int IdentityRun(ReadOnlySpan<byte> input)
    {
        byte[] identity = _asciiIdentity;
        ulong[] bmp = _bmpIdentity;
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            if (b < 128)
            {
                if (b == (byte)' ') break;
                byte kind = identity[b];
                if (kind == 0 || (kind == 2 && i + 1 < input.Length && input[i + 1] >= 128)) break;
                i++;
                continue;
            }
            // Malformed sequences, surrogates and four-byte characters end the run (their bits are never set).
            if (!Utf8Text.TryDecodeAt(input, i, out int cp, out int length) || cp >= 0x10000 || (bmp[cp >> 6] & (1UL << cp)) == 0) break;
            i += length;
        }
        return i;
    }

    /// <summary>Whether a key equals <paramref name="prefix"/> or continues it.</summary>
    private bool AnyKeyStartsWith(ReadOnlySpan<byte> prefix)
    {
        uint[] units = _units;
        uint id = Offset(units[0]);
        foreach (byte c in prefix)
        {
            id ^= c;
            if (id >= (uint)units.Length) return false;
            uint unit = units[id];
            if (Label(unit) != c) return false;
            id ^= Offset(unit);
            if (HasLeaf(unit)) return true; // a key ends here (a prefix of, or equal to, the character)
        }
        for (uint c = 1; c < 256; c++)
        {
            uint child = id ^ c;
            if (child < (uint)units.Length && Label(units[child]) == c) return true;
        }
        return false;
    }

    /// <summary>
    /// HuggingFace's reading of the map (spm_precompiled's <c>transform</c>): the replacement of the
    /// SHORTEST key that prefixes <paramref name="input"/>, the walk stopping at a NUL byte. Not spm's rule.
    /// </summary>
    public bool ShortestMatch(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        replacement = default;
        uint[] units = _units;
        uint id = Offset(units[0]);
        foreach (byte c in input)
        {
            if (c == 0) break;
            id ^= c;
            if (id >= (uint)units.Length) break;
            uint unit = units[id];
            if (Label(unit) != c) break;
            id ^= Offset(unit);
            if (!HasLeaf(unit)) continue;
            if (id >= (uint)units.Length) break;
            replacement = PoolString(units[id] & 0x7FFFFFFF);
            return true;
        }
        return false;
    }

    private ReadOnlySpan<byte> PoolString(uint value)
    {
        if (value > (uint)_pool.Length) throw new ModelFormatException($"the precompiled charsmap points at byte {value} of a {_pool.Length}-byte pool");
        ReadOnlySpan<byte> rest = _pool.AsSpan((int)value);
        int end = rest.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }

    private byte ClassifyAscii(byte b)
    {
        uint[] units = _units;
        uint id = Offset(units[0]) ^ b;
        if (id >= (uint)units.Length || Label(units[id]) != b) return 1;
        uint unit = units[id];
        if (HasLeaf(unit)) return 0;
        uint node = id ^ Offset(unit);
        for (uint c = 0; c < 128; c++)
        {
            uint child = node ^ c;
            if (child < (uint)units.Length && Label(units[child]) == c) return 0;
        }
        return 2;
    }

    // darts-clone's unit encoding: label in the low byte (bit 31 set on leaf units so they never equal a
    // byte), has-leaf in bit 8, offset in bits 10..30 scaled by 2^8 when bit 9 is set.
    private static uint Label(uint unit) => unit & (0x80000000u | 0xFF);
    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
