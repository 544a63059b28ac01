namespace BytePiece;

/// <summary>One vocabulary entry as BytePiece stores it: the piece's bytes, its id and its count.</summary>
/// <param name="Bytes">The piece's bytes (non-empty).</param>
/// <param name="Id">The token id (at least <see cref="SpecialTokens.Count"/>).</param>
/// <param name="Count">How often the piece was seen in training (positive).</param>
public readonly record struct CountedPiece(ReadOnlyMemory<byte> Bytes, int Id, long Count);
