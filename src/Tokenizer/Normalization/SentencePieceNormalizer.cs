namespace BytePiece;

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
    private readonly PieceTrie? _userDefined;
    private readonly bool _addDummyPrefix, _removeExtraWhitespaces, _escapeWhitespaces, _whitespaceAsSuffix;

    // Whether an ASCII space is left as it is by the rules (no user-defined symbol, no key starts with
    // it): then the whitespace rules apply to it directly, without a lookup.
    private readonly bool _plainSpace;

    // What the fast path does with each ASCII byte: 1 copy it, 2 copy it unless a non-ASCII byte follows,
    // 3 a plain space, 0 leave it to the general path. Null with user-defined symbols (they may start anywhere).
    private readonly byte[]? _asciiKinds;

    public SentencePieceNormalizer(PrecompiledCharsMap? charsMap, PieceTrie? userDefined, bool addDummyPrefix,
        bool removeExtraWhitespaces, bool escapeWhitespaces, bool whitespaceAsSuffix)
    {
        _charsMap = charsMap;
        _userDefined = userDefined;
        _addDummyPrefix = addDummyPrefix;
        _removeExtraWhitespaces = removeExtraWhitespaces;
        _escapeWhitespaces = escapeWhitespaces;
        _whitespaceAsSuffix = whitespaceAsSuffix;
        _plainSpace = userDefined is null && (charsMap is null || charsMap.LongestMatch(" "u8, out _) == 0);
        if (userDefined is null)
        {
            _asciiKinds = new byte[128];
            if (charsMap is null) _asciiKinds.AsSpan().Fill(1);
            else charsMap.AsciiIdentity.CopyTo(_asciiKinds);
            _asciiKinds[' '] = (byte)(_plainSpace ? 3 : 0);
        }
    }

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
            if (_asciiKinds is not null)
            {
                consumed = AddAsciiRun(input, consumed, output, ref previousIsSpace);
                if (consumed == input.Length) break;
            }
            // Fast path: a run of characters (no space) that no rule touches is copied whole.
            int run = _userDefined is not null ? 0 : _charsMap?.IdentityRun(input[consumed..]) ?? PlainRun(input[consumed..]);
            if (run > 0)
            {
                output.AddIdentity(input.Slice(consumed, run), consumed);
                consumed += run;
                previousIsSpace = false;
                continue;
            }
            if (_plainSpace && input[consumed] == (byte)' ')
            {
                // What the general path below does with a one-space piece.
                if (!previousIsSpace) AddSpace(output, consumed);
                previousIsSpace = _removeExtraWhitespaces;
                consumed++;
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
            while (output.Bytes.EndsWith(space))
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
    private int AddAsciiRun(ReadOnlySpan<byte> input, int i, NormalizedBuffer output, ref bool previousIsSpace)
    {
        byte[] kinds = _asciiKinds!;
        bool previous = previousIsSpace, collapse = _removeExtraWhitespaces, escape = _escapeWhitespaces;
        while (i < input.Length)
        {
            // At most three output bytes per input byte (an escaped space); blocks bound the reservation.
            int limit = Math.Min(input.Length, i + 4096);
            output.GetTail(3 * (limit - i), out Span<byte> bytes, out Span<int> map);
            int w = 0;
            for (; i < limit; i++)
            {
                byte b = input[i];
                if (b >= 128) break;
                byte kind = kinds[b];
                if (kind == 1 || (kind == 2 && (i + 1 == input.Length || input[i + 1] < 128)))
                {
                    bytes[w] = b;
                    map[w++] = i;
                    previous = false;
                }
                else if (kind == 3)
                {
                    if (!previous)
                    {
                        if (escape)
                        {
                            bytes[w] = 0xE2;
                            bytes[w + 1] = 0x96;
                            bytes[w + 2] = 0x81;
                            map[w] = map[w + 1] = map[w + 2] = i;
                            w += 3;
                        }
                        else
                        {
                            bytes[w] = (byte)' ';
                            map[w++] = i;
                        }
                    }
                    previous = collapse;
                }
                else break;
            }
            output.Advance(w);
            if (i < limit) break;
        }
        previousIsSpace = previous;
        return i;
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
