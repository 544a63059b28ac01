namespace BytePiece;

/// <summary>
/// A model file or a list of pieces is invalid: malformed JSON or base64, a truncated or corrupt
/// binary file, or a vocabulary that breaks a model rule (missing single bytes, empty or duplicate
/// pieces, duplicate or reserved ids, non-positive counts). The message says what is wrong and where.
/// </summary>
public sealed class ModelFormatException : FormatException
{
    /// <summary>Creates the exception with a message that says what is wrong and where.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that revealed the problem.</summary>
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
