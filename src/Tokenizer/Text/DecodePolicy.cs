namespace BytePiece;

/// <summary>What decoding does with bytes that are not valid UTF-8 (a token sequence may end mid-character).</summary>
public enum DecodePolicy
{
    /// <summary>Each maximal invalid subsequence becomes U+FFFD (the Unicode-recommended practice). The default.</summary>
    Replace = 0,

    /// <summary>Throw <see cref="InvalidUtf8Exception"/> with the byte offset of the first invalid byte.</summary>
    Strict = 1,

    /// <summary>Drop invalid bytes silently, as upstream BytePiece does (<c>errors='ignore'</c>).</summary>
    Ignore = 2,
}
