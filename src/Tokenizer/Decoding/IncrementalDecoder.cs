using System.Text;
using BytePiece.Text;

namespace BytePiece;

/// <summary>
/// Decodes token ids to text one at a time, as a language model emits them: bytes of a character that
/// is not complete yet are held back until the token that completes it arrives (or until
/// <see cref="Flush"/>). Not thread-safe: one instance per output stream.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly UnigramModel _model;
    private readonly DecodePolicy _policy;
    private readonly bool _skipSpecialTokens;
    private byte[] _buffer = new byte[64];
    private int _pending; // held-back bytes at the start of _buffer (an incomplete, so far valid sequence)
    private long _offset; // byte offset of _buffer[0] in everything decoded so far
    private readonly StringBuilder _output = new();

    internal IncrementalDecoder(UnigramModel model, DecodePolicy policy, bool skipSpecialTokens)
    {
        _model = model;
        _policy = policy;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id and returns the text it completes (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is neither a special id nor a piece.</exception>
    /// <exception cref="InvalidUtf8Exception">The policy is <see cref="DecodePolicy.Strict"/> and the bytes are invalid.</exception>
    public string Append(int id) => Append([id]);

    /// <summary>Adds ids and returns the text they complete (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a special id nor a piece.</exception>
    /// <exception cref="InvalidUtf8Exception">The policy is <see cref="DecodePolicy.Strict"/> and the bytes are invalid.</exception>
    public string Append(ReadOnlySpan<int> ids)
    {
        _output.Clear();
        foreach (int id in ids)
        {
            if ((uint)id < SpecialTokens.Count)
            {
                if (_skipSpecialTokens) continue;
                Drain(isFinal: true);
                _output.Append(SpecialTokens.GetText(id));
                continue;
            }
            ReadOnlySpan<byte> piece = _model.GetPieceBytes(id);
            if (_buffer.Length < _pending + piece.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _pending + piece.Length));
            piece.CopyTo(_buffer.AsSpan(_pending));
            _pending += piece.Length;
            Drain(isFinal: false);
        }
        return _output.ToString();
    }

    /// <summary>Returns the text of any held-back bytes (incomplete, so handled by the policy) and resets.</summary>
    /// <exception cref="InvalidUtf8Exception">The policy is <see cref="DecodePolicy.Strict"/> and bytes are held back.</exception>
    public string Flush()
    {
        _output.Clear();
        Drain(isFinal: true);
        _offset = 0;
        return _output.ToString();
    }

    /// <summary>Decodes what is buffered, keeping an incomplete tail unless <paramref name="isFinal"/>.</summary>
    private void Drain(bool isFinal)
    {
        int used = Utf8Text.Decode(_buffer.AsSpan(0, _pending), _output, _policy, isFinal, _offset);
        _buffer.AsSpan(used, _pending - used).CopyTo(_buffer);
        _pending -= used;
        _offset += used;
    }
}
