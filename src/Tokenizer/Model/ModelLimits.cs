namespace BytePiece;

/// <summary>
/// The sizes a model may have, in one place; every loader (BytePiece JSON, native <c>.bpm</c>, SentencePiece
/// <c>.model</c>, tokenizer.json) refuses a model beyond them with a <see cref="ModelFormatException"/>
/// before building anything. They are generous for real models (the largest in use have about 250,000
/// pieces holding 2-3 MB, the longest a few hundred bytes) and keep a load within a small multiple of
/// the model's real size: a crafted file cannot make the loader allocate gigabytes.
/// </summary>
public static class ModelLimits
{
    /// <summary>The longest piece, in bytes (UTF-8 for SentencePiece and tokenizer.json): 16 KiB.</summary>
    public const int MaxPieceBytes = 16 * 1024;

    /// <summary>The most pieces (vocabulary entries) a model may have: 2,097,152 (8 times the largest real vocabularies).</summary>
    public const int MaxVocabularySize = 1 << 21;

    /// <summary>The most bytes all pieces together may hold: 16 MiB (real models hold under 3 MB).</summary>
    public const int MaxTotalPieceBytes = 16 << 20;

    /// <summary>The largest model file: 1 GiB (a file is read whole before it is parsed).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>
    /// Room a file may take beyond its pieces (headers, settings, normalizer tables, added tokens): 16 MiB.
    /// A file may hold at most this plus <see cref="FileBytesPerPieceByte"/> per piece byte plus
    /// <see cref="FileBytesPerPiece"/> per piece; more is padding or oversized fields, and is refused.
    /// </summary>
    public const int FileSlackBytes = 16 << 20;

    /// <summary>File bytes allowed per piece byte (base64 and an escaped display copy fit many times over).</summary>
    public const int FileBytesPerPieceByte = 16;

    /// <summary>File bytes allowed per piece beyond its bytes (ids, counts or scores, punctuation, indentation).</summary>
    public const int FileBytesPerPiece = 256;

    /// <summary>
    /// The largest size of a piece's score (SentencePiece and tokenizer.json; BytePiece log-probabilities are
    /// above -44): 1e30. Real scores are tens at most; the bound keeps <c>alpha * score</c> summed over a whole
    /// lattice finite for every alpha up to <see cref="SamplingOptions.MaxAlpha"/>. NaN and infinite scores are refused too.
    /// </summary>
    public const double MaxScoreMagnitude = 1e30;

    /// <summary>Refuses a score that is not finite or larger in size than <see cref="MaxScoreMagnitude"/>.</summary>
    internal static void CheckScore(double score, int index)
    {
        if (!(Math.Abs(score) <= MaxScoreMagnitude))
            throw new ModelFormatException($"piece {index} has score {score:R}; scores must be finite and at most {MaxScoreMagnitude:G} in size (ModelLimits.MaxScoreMagnitude)");
    }

    /// <summary>Refuses a piece longer than <see cref="MaxPieceBytes"/>.</summary>
    internal static void CheckPieceLength(long length, int index)
    {
        if (length > MaxPieceBytes)
            throw new ModelFormatException($"piece {index} is {length:N0} bytes long; pieces are at most {MaxPieceBytes:N0} bytes (ModelLimits.MaxPieceBytes)");
    }

    /// <summary>Refuses a vocabulary that has grown past <see cref="MaxVocabularySize"/> or <see cref="MaxTotalPieceBytes"/>.</summary>
    internal static void CheckVocabulary(long pieces, long pieceBytes)
    {
        if (pieces > MaxVocabularySize)
            throw new ModelFormatException($"the model has more than {MaxVocabularySize:N0} pieces (ModelLimits.MaxVocabularySize)");
        if (pieceBytes > MaxTotalPieceBytes)
            throw new ModelFormatException($"the pieces hold more than {MaxTotalPieceBytes:N0} bytes together (ModelLimits.MaxTotalPieceBytes)");
    }

    /// <summary>Refuses a file far larger than its pieces need (see <see cref="FileSlackBytes"/>).</summary>
    internal static void CheckFileSize(long fileBytes, long pieces, long pieceBytes)
    {
        long allowed = FileSlackBytes + FileBytesPerPieceByte * pieceBytes + FileBytesPerPiece * pieces;
        if (fileBytes > allowed)
            throw new ModelFormatException($"the file is {fileBytes:N0} bytes, more than its {pieces:N0} pieces of {pieceBytes:N0} bytes can need ({allowed:N0}); padding or an oversized field?");
    }
}
