namespace BytePiece;

/// <summary>The probability that a piece occurrence appears in a segmentation drawn from <c>P^alpha / Z</c>.</summary>
/// <param name="Start">Byte offset where the occurrence starts (in the encoded, normalized UTF-8 bytes).</param>
/// <param name="End">Byte offset where it ends (exclusive).</param>
/// <param name="Id">The piece's id.</param>
/// <param name="Probability">Its marginal probability.</param>
public readonly record struct PieceMarginal(int Start, int End, int Id, double Probability);
