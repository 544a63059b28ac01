namespace BytePiece;

/// <summary>Bytes are not valid UTF-8 where text was required (<see cref="DecodePolicy.Strict"/>, or text input to the CLI).</summary>
public sealed class InvalidUtf8Exception : FormatException
{
    /// <summary>Creates the exception for the invalid sequence at <paramref name="byteOffset"/>.</summary>
    public InvalidUtf8Exception(long byteOffset)
        : base($"invalid UTF-8 at byte offset {byteOffset}")
    {
        ByteOffset = byteOffset;
    }

    /// <summary>Offset of the first invalid byte, counted from the start of the decoded byte sequence.</summary>
    public long ByteOffset { get; }
}
