namespace BytePiece;

/// <summary>Pieces the streaming encoder has made certain (<see cref="StreamingEncoder.EncodePiecesAsync"/>): a whole chunk or line, or a part of a long chunk.</summary>
/// <param name="Pieces">The pieces, in input order, as the model's own tool shows them.</param>
/// <param name="EndsChunk">Whether these pieces end a chunk (BytePiece: a line and the newlines after it) or a line (sentence models).</param>
public readonly record struct EncodedPieces(IReadOnlyList<string> Pieces, bool EndsChunk);
