namespace BytePiece;

/// <summary>Ids the streaming encoder has made certain: a whole chunk, or a part of a long one.</summary>
/// <param name="Ids">The ids, in input order.</param>
/// <param name="EndsChunk">Whether these ids end a chunk (a line and the newlines after it).</param>
public readonly record struct EncodedPart(int[] Ids, bool EndsChunk);
