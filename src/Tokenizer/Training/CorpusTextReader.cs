using System.Text;
using System.Text.Unicode;
using BytePiece.Normalization;

namespace BytePiece.Training;

/// <summary>
/// Reads a document as blocks of NFC UTF-8 text, cut where NFC cannot reach across (before a <c>\n</c>,
/// else before a stable starter), so that normalizing block by block equals normalizing the whole.
/// Invalid UTF-8 becomes U+FFFD (counted), as a decoder with replacement would read it.
/// </summary>
internal sealed class CorpusTextReader
{
    private const int BlockSize = 1 << 20;
    private const int MaxBlockSize = 64 << 20;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _filled;
    private bool _ended;

    /// <summary>A reader of <paramref name="stream"/> in blocks of about <paramref name="blockSize"/> bytes.</summary>
    public CorpusTextReader(Stream stream, int blockSize = BlockSize)
    {
        _stream = stream;
        _buffer = new byte[blockSize];
    }

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Invalid UTF-8 sequences replaced so far.</summary>
    public long InvalidSequences { get; private set; }

    /// <summary>The next block of NFC text; false at the end of the document.</summary>
    public bool TryRead(out ReadOnlyMemory<byte> block)
    {
        while (true)
        {
            if (!_ended && _filled < _buffer.Length)
            {
                int read = _stream.Read(_buffer, _filled, _buffer.Length - _filled);
                if (read == 0) _ended = true;
                _filled += read;
                BytesRead += read;
                if (!_ended && _filled < _buffer.Length) continue;
            }
            if (_filled == 0) { block = default; return false; }
            int cut = _ended ? _filled : SafeCut(_buffer.AsSpan(0, _filled));
            if (cut <= 0)
            {
                if (_buffer.Length < MaxBlockSize) { Array.Resize(ref _buffer, _buffer.Length * 2); continue; }
                cut = CharacterBoundary(_buffer.AsSpan(0, _filled)); // no stable starter in 64 MiB: cut anyway
            }
            block = Normalize(_buffer.AsSpan(0, cut));
            _buffer.AsSpan(cut, _filled - cut).CopyTo(_buffer);
            _filled -= cut;
            return true;
        }
    }

    private static int SafeCut(ReadOnlySpan<byte> text)
    {
        int newline = text.LastIndexOf((byte)'\n');
        if (newline > 0) return newline;
        return NfcBoundary.LastSafeSplit(text, allowZero: false);
    }

    private static int CharacterBoundary(ReadOnlySpan<byte> text)
    {
        int i = text.Length - 1;
        while (i > 0 && (text[i] & 0xC0) == 0x80) i--;
        return i > 0 ? i : text.Length;
    }

    private ReadOnlyMemory<byte> Normalize(ReadOnlySpan<byte> raw)
    {
        if (System.Text.Ascii.IsValid(raw)) return raw.ToArray();
        if (!Utf8.IsValid(raw)) InvalidSequences += CountInvalid(raw);
        string text = Encoding.UTF8.GetString(raw); // replaces invalid sequences with U+FFFD
        if (!UnicodeForms.IsNormalized(text, NormalizationForm.FormC)) text = UnicodeForms.Normalize(text, NormalizationForm.FormC);
        return Encoding.UTF8.GetBytes(text);
    }

    private static long CountInvalid(ReadOnlySpan<byte> raw)
    {
        long invalid = 0;
        while (!raw.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(raw, out _, out int consumed) != System.Buffers.OperationStatus.Done) invalid++;
            raw = raw[consumed..];
        }
        return invalid;
    }
}
