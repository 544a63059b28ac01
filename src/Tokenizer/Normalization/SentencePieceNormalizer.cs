using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BytePiece.Lookup;

namespace BytePiece.Normalization;

/// <summary>
/// SentencePiece's normalizer, rule for rule (normalizer.cc): at each position the longest user-defined
/// symbol is copied verbatim, else the longest charsmap key is replaced, else one valid UTF-8 character
/// is copied, else one malformed byte becomes U+FFFD (not re-normalized). Then the whitespace rules:
/// leading spaces dropped, runs collapsed and trailing spaces removed (<c>remove_extra_whitespaces</c>),
/// a dummy U+2581 prefix (or suffix with <c>treat_whitespace_as_suffix</c>), and ' ' written as U+2581
/// (<c>escape_whitespaces</c>). Only ASCII space counts as whitespace; others become spaces only
/// where the charsmap says so. For every normalized byte it records the offset of the original
/// input it came from (spm's <c>norm_to_orig</c>), plus one entry for the end.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    private static ReadOnlySpan<byte> SpaceSymbol => "\u2581"u8;
    private static ReadOnlySpan<byte> Replacement => "\uFFFD"u8;

    private readonly PrecompiledCharsMap? _charsMap;

    /// <summary>The precompiled character map, if the model has one.</summary>
    internal PrecompiledCharsMap? CharsMap => _charsMap;
    private readonly PieceTrie? _userDefined;
    private readonly bool _addDummyPrefix, _removeExtraWhitespaces, _escapeWhitespaces, _whitespaceAsSuffix;

    // What the fast path does with each ASCII byte: 1 copy it, 2 copy it unless a non-ASCII byte follows,
    // 3 a plain space, 0 leave it to the general path. Null with user-defined symbols (they may start anywhere).
    private readonly byte[]? _asciiKinds;

    // Whether every printable ASCII byte (0x20..0x7E) is copied (kinds 1 and 2) or a plain space: then
    // the fast path takes sixteen of them at a time.
    private readonly bool _asciiBlocks;

    // False only in tests: every position takes the general rule-by-rule path (the reference the fast paths must equal).
    private readonly bool _fastPaths;

    public SentencePieceNormalizer(PrecompiledCharsMap? charsMap, PieceTrie? userDefined, bool addDummyPrefix,
        bool removeExtraWhitespaces, bool escapeWhitespaces, bool whitespaceAsSuffix, bool fastPaths = true)
    {
        _fastPaths = fastPaths;
        _charsMap = charsMap;
        _userDefined = userDefined;
        _addDummyPrefix = addDummyPrefix;
        _removeExtraWhitespaces = removeExtraWhitespaces;
        _escapeWhitespaces = escapeWhitespaces;
        _whitespaceAsSuffix = whitespaceAsSuffix;
        if (fastPaths && userDefined is null)
        {
            _asciiKinds = new byte[128];
            if (charsMap is null) _asciiKinds.AsSpan().Fill(1);
            else charsMap.AsciiIdentity.CopyTo(_asciiKinds);
            // A plain space (no key starts with it): the whitespace rules apply to it directly, without a lookup.
            bool plainSpace = charsMap is null || charsMap.LongestMatch(" "u8, out _) == 0;
            _asciiKinds[' '] = (byte)(plainSpace ? 3 : 0);
            _asciiBlocks = _asciiKinds.AsSpan(0x20, 0x5F).IndexOf((byte)0) < 0;
        }
    }

    /// <summary>The same rules without any fast path (for tests: what the fast paths must reproduce exactly).</summary>
    internal SentencePieceNormalizer WithoutFastPaths()
        => new(_charsMap, _userDefined, _addDummyPrefix, _removeExtraWhitespaces, _escapeWhitespaces, _whitespaceAsSuffix, fastPaths: false);

    /// <summary>Normalizes <paramref name="input"/> into <paramref name="output"/> (bytes and the offset map).</summary>
    public void Normalize(ReadOnlySpan<byte> input, NormalizedBuffer output)
    {
        output.Clear();
        if (input.IsEmpty) return;
        int consumed = 0;

        if (_removeExtraWhitespaces)
        {
            while (consumed < input.Length)
            {
                // ASCII the rules copy is not a space; a plain space is one (as the general test below finds).
                if (_asciiKinds is { } kinds && input[consumed] < 128 && kinds[input[consumed]] != 0)
                {
                    if (kinds[input[consumed]] != 3) break;
                    consumed++;
                    continue;
                }
                int length = NextPiece(input[consumed..], out ReadOnlySpan<byte> piece);
                if (!(piece.Length == 1 && piece[0] == (byte)' ')) break;
                consumed += length;
            }
            if (consumed == input.Length) return;
        }

        output.Reserve(input.Length - consumed + 8);
        if (!_whitespaceAsSuffix && _addDummyPrefix) AddSpace(output, consumed);

        bool previousIsSpace = _removeExtraWhitespaces;
        while (consumed < input.Length)
        {
            if (_asciiKinds is not null && input[consumed] < 128)
            {
                consumed = AddAsciiRun(input, consumed, output, ref previousIsSpace);
                if (consumed == input.Length) break;
            }
            // Fast path: a run of characters (no space) that no rule touches is copied whole.
            int run = _userDefined is not null || !_fastPaths ? 0 : _charsMap?.IdentityRun(input[consumed..]) ?? PlainRun(input[consumed..]);
            if (run > 0)
            {
                output.AddIdentity(input.Slice(consumed, run), consumed);
                consumed += run;
                previousIsSpace = false;
                continue;
            }
            int length = NextPiece(input[consumed..], out ReadOnlySpan<byte> piece);
            if (previousIsSpace)
            {
                int skip = 0;
                while (skip < piece.Length && piece[skip] == (byte)' ') skip++;
                piece = piece[skip..];
            }
            if (!piece.IsEmpty)
            {
                output.Reserve(piece.Length * 3);
                foreach (byte b in piece)
                {
                    if (b == (byte)' ') AddSpace(output, consumed);
                    else output.Add(b, consumed);
                }
                previousIsSpace = piece[^1] == (byte)' ';
            }
            consumed += length;
            if (!_removeExtraWhitespaces) previousIsSpace = false;
        }

        if (_removeExtraWhitespaces)
        {
            ReadOnlySpan<byte> space = _escapeWhitespaces ? SpaceSymbol : " "u8;
            while (output.Length >= space.Length && output.Bytes[output.Length - 1] == space[^1] && output.Bytes.EndsWith(space))
            {
                int length = output.Length - space.Length;
                consumed = output.ToOriginal[length];
                output.Truncate(length);
            }
        }

        if (_whitespaceAsSuffix && _addDummyPrefix) AddSpace(output, consumed);
        output.Finish(consumed);
    }

    /// <summary>
    /// From <paramref name="i"/>, the ASCII that no rule touches and plain spaces (the whitespace rules
    /// applied as the general path applies them to a one-space piece), in one loop straight into the
    /// buffer: the fast path for Latin text. Returns where it stopped (at anything else).
    /// </summary>
    /// <remarks>
    /// Without a branch on letter-or-space (it would mispredict at every word): each byte writes four
    /// output bytes (itself, or the escaped space) and four offsets, and the output advances by 1, the
    /// space's width, or 0 for a collapsed space.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)] // its own register allocation: inlined, the loop's state spilled to the stack
    private int AddAsciiRun(ReadOnlySpan<byte> input, int i, NormalizedBuffer output, ref bool previousIsSpace)
    {
        ref byte kinds = ref MemoryMarshal.GetArrayDataReference(_asciiKinds!);
        ref byte source = ref MemoryMarshal.GetReference(input);
        uint spaceBytes = _escapeWhitespaces ? 0x8196E2u : ' '; // U+2581 as little-endian UTF-8
        int spaceWidth = _escapeWhitespaces ? 3 : 1;
        int collapse = _removeExtraWhitespaces ? -1 : 0;
        int previous = previousIsSpace ? -1 : 0;
        bool blocks = _asciiBlocks && Vector128.IsHardwareAccelerated;
        while (i < input.Length)
        {
            // Up to three output bytes per input byte plus the slack of the sixteen-wide stores; chunks bound the reservation.
            int limit = Math.Min(input.Length, i + 4096);
            output.GetTail(3 * (limit - i) + 16, out Span<byte> bytes, out Span<int> map);
            ref byte target = ref MemoryMarshal.GetReference(bytes);
            ref int origins = ref MemoryMarshal.GetReference(map);
            int w = 0;
            while (i < limit)
            {
                // Sixteen printable ASCII bytes (and an ASCII byte or the end after them, for kind 2) at once:
                // the runs between spaces are shifted into place, each space written or collapsed.
                if (blocks && i + 16 <= limit && (i + 16 == input.Length || Unsafe.Add(ref source, i + 16) < 128))
                {
                    Vector128<byte> v = Vector128.LoadUnsafe(ref source, (nuint)i);
                    if (Vector128.LessThanAll(v - Vector128.Create((byte)0x20), Vector128.Create((byte)0x5F)))
                    {
                        uint spaces = Vector128.Equals(v, Vector128.Create((byte)' ')).ExtractMostSignificantBits();
                        int p = 0;
                        while (true)
                        {
                            int q = spaces == 0 ? 16 : BitOperations.TrailingZeroCount(spaces);
                            ShiftDown(v, p).StoreUnsafe(ref target, (nuint)w);
                            Vector128<int> origin = Vector128.Create(i + p) + Vector128.Create(0, 1, 2, 3);
                            origin.StoreUnsafe(ref origins, (nuint)w);
                            (origin + Vector128.Create(4)).StoreUnsafe(ref origins, (nuint)w + 4);
                            (origin + Vector128.Create(8)).StoreUnsafe(ref origins, (nuint)w + 8);
                            (origin + Vector128.Create(12)).StoreUnsafe(ref origins, (nuint)w + 12);
                            w += q - p;
                            previous &= ~((p - q) >> 31); // a run of letters ends a run of spaces
                            if (q == 16) break;
                            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, w), spaceBytes);
                            Vector128.Create(i + q).StoreUnsafe(ref origins, (nuint)w);
                            w += ~previous & spaceWidth;
                            previous = collapse;
                            spaces &= spaces - 1;
                            p = q + 1;
                        }
                        i += 16;
                        continue;
                    }
                }
                uint b = Unsafe.Add(ref source, i);
                if (b >= 128) break;
                uint kind = Unsafe.Add(ref kinds, b);
                if ((kind & 1) == 0 && (kind == 0 || (i + 1 < input.Length && Unsafe.Add(ref source, i + 1) >= 128))) break;
                int space = ((int)(kind ^ 3) - 1) >> 31; // -1 for a space (kind 3), else 0 (kinds 1 and 2)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, w), (spaceBytes & (uint)space) | (b & ~(uint)space));
                Vector128.Create(i).StoreUnsafe(ref origins, (nuint)w);
                w += (~space & 1) | (space & ~previous & spaceWidth);
                previous = space & collapse;
                i++;
            }
            output.Advance(w);
            if (i < limit) break;
        }
        previousIsSpace = previous != 0;
        return i;
    }

    /// <summary>Byte k of the result is byte p + k of <paramref name="v"/> (what lies past the end does not matter).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ShiftDown(Vector128<byte> v, int p)
    {
        Vector128<byte> indices = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector128.Create((byte)p);
        return Ssse3.IsSupported ? Ssse3.Shuffle(v, indices) : Vector128.Shuffle(v, indices);
    }

    /// <summary>Without a charsmap every valid character other than space is copied: the length of such a run.</summary>
    private static int PlainRun(ReadOnlySpan<byte> input)
    {
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            if (b < 128)
            {
                if (b == (byte)' ') break;
                i++;
            }
            else if (System.Text.Rune.DecodeFromUtf8(input[i..], out _, out int length) == System.Buffers.OperationStatus.Done) i += length;
            else break;
        }
        return i;
    }

    /// <summary>The normalized form of the next input unit and how many input bytes it consumes.</summary>
    private int NextPiece(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> piece)
    {
        if (_userDefined is not null)
        {
            int length = _userDefined.LongestPrefix(input);
            if (length > 0)
            {
                piece = input[..length];
                return length;
            }
        }
        if (_charsMap is not null)
        {
            int length = _charsMap.LongestMatch(input, out piece);
            if (length > 0) return length;
        }
        if (System.Text.Rune.DecodeFromUtf8(input, out _, out int valid) != System.Buffers.OperationStatus.Done)
        {
            piece = Replacement;
            return 1;
        }
        piece = input[..valid];
        return valid;
    }

    private void AddSpace(NormalizedBuffer output, int origin)
    {
        if (_escapeWhitespaces) output.AddFrom(SpaceSymbol, origin);
        else output.Add((byte)' ', origin);
    }
}
