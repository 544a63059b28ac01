namespace BytePiece;

/// <summary>
/// One token of an encoding with its piece's bytes: what Microsoft.ML.Tokenizers'
/// <see cref="Microsoft.ML.Tokenizers.EncodedToken"/> carries (id, text, UTF-16 range) plus the byte range
/// in the UTF-8 that was encoded and the piece's bytes.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Value">The piece as text (<see cref="PieceText.Format(ReadOnlySpan{byte})"/>; bytes that are
/// not valid UTF-8 on their own appear as <c>&lt;0xNN&gt;</c>), or the special's name.</param>
/// <param name="Offset">UTF-16 range in the original string. A token boundary that falls inside a character,
/// or where normalization rewrote the text so that it does not split cleanly, moves forward to the next clean
/// position, so the ranges of all tokens cover the string exactly once, in order (some may be empty).</param>
/// <param name="ByteOffset">Byte range in the UTF-8 bytes that were encoded (after normalization for BytePiece
/// models; in the original text for SentencePiece and tokenizer.json models).</param>
/// <param name="Bytes">The piece's bytes (empty for specials).</param>
public readonly record struct PieceToken(int Id, string Value, Range Offset, Range ByteOffset, ReadOnlyMemory<byte> Bytes);
