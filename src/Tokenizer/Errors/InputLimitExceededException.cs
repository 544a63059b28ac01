namespace BytePiece;

/// <summary>
/// The input broke a limit the caller set (<see cref="StreamingEncoder.MaxChunkLength"/>, or a host's
/// memory cap): nothing past the limit was encoded. The message says which limit, where, and by how much.
/// </summary>
public sealed class InputLimitExceededException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was exceeded, where.</param>
    /// <param name="offset">Byte offset in the input where the offending chunk starts (-1 when not about a position).</param>
    public InputLimitExceededException(string message, long offset = -1) : base(message) => Offset = offset;

    /// <summary>Byte offset in the input where the offending chunk starts, or -1.</summary>
    public long Offset { get; }
}
