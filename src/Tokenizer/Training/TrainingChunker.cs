using System.Buffers;
using System.Text;

namespace BytePiece.Training;

/// <summary>
/// BytePiece's training pre-split of NFC UTF-8 text, fed block by block: a chunk is at most
/// <c>maxChars</c> non-<c>\n</c> characters followed by at most <c>maxNewlines</c> <c>\n</c> (the regex
/// <c>.{,N}\n{1,100}|.{1,N}</c>), or with digit isolation every decimal digit alone
/// (<c>\d|[^\n\d]{,N}\n{1,100}|[^\n\d]{1,N}</c>). The incomplete tail of a block waits for the next, so
/// the chunks never depend on where blocks were cut.
/// </summary>
internal sealed class TrainingChunker
{
    private readonly int _maxChars;
    private readonly int _maxNewlines;
    private readonly bool _isolateDigits;
    private byte[] _carry = new byte[1 << 16];
    private int _carried;

    public TrainingChunker(int maxChars, int maxNewlines, bool isolateDigits)
    {
        _maxChars = maxChars;
        _maxNewlines = maxNewlines;
        _isolateDigits = isolateDigits;
    }

    /// <summary>Hands every chunk completed by <paramref name="block"/> to <paramref name="onChunk"/>.</summary>
    public void Feed(ReadOnlySpan<byte> block, ChunkHandler onChunk)
    {
        if (_carried + block.Length > _carry.Length) Array.Resize(ref _carry, Math.Max(_carried + block.Length, 2 * _carry.Length));
        block.CopyTo(_carry.AsSpan(_carried));
        int length = _carried + block.Length;
        int pos = Emit(_carry.AsSpan(0, length), final: false, onChunk);
        _carry.AsSpan(pos, length - pos).CopyTo(_carry);
        _carried = length - pos;
        if (_carry.Length > (1 << 16) && _carried < (1 << 14)) Array.Resize(ref _carry, Math.Max(1 << 16, _carried)); // a long block passed; give it back
    }

    /// <summary>Ends the document: the rest is the last chunk(s).</summary>
    public void Finish(ChunkHandler onChunk)
    {
        Emit(_carry.AsSpan(0, _carried), final: true, onChunk);
        _carried = 0;
    }

    /// <summary>Receives one chunk.</summary>
    public delegate void ChunkHandler(ReadOnlySpan<byte> chunk);

    private int Emit(ReadOnlySpan<byte> text, bool final, ChunkHandler onChunk)
    {
        int pos = 0;
        while (pos < text.Length)
        {
            int end = ChunkEnd(text, pos, final);
            if (end < 0) break;
            onChunk(text[pos..end]);
            pos = end;
        }
        return pos;
    }

    /// <summary>End of the chunk at <paramref name="pos"/>, or -1 if more text could still change it.</summary>
    internal int ChunkEnd(ReadOnlySpan<byte> text, int pos, bool final)
    {
        int n = text.Length;
        if (_isolateDigits && IsDigitAt(text, pos, out int digitLength)) return pos + digitLength;
        int i = pos, chars = 0;
        while (i < n && text[i] != '\n' && chars < _maxChars)
        {
            if (_isolateDigits && IsDigitAt(text, i, out _)) return i; // [^\n\d]{1,N}: the run ends before a digit
            i += Utf8Length(text[i]);
            chars++;
        }
        if (i >= n) return final ? n : -1;
        if (text[i] != '\n') return i; // N characters, not followed by a newline
        int j = i;
        while (j < n && text[j] == '\n' && j - i < _maxNewlines) j++;
        if (j == n && j - i < _maxNewlines && !final) return -1; // the newline run may go on
        return j;
    }

    private static int Utf8Length(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    private static bool IsDigitAt(ReadOnlySpan<byte> text, int i, out int length)
    {
        byte b = text[i];
        length = 1;
        if (b < 0x80) return b is >= (byte)'0' and <= (byte)'9';
        if (Rune.DecodeFromUtf8(text[i..], out Rune rune, out length) != OperationStatus.Done) { length = 1; return false; }
        return Rune.IsDigit(rune); // Unicode Nd, as Python's \d on str
    }
}
