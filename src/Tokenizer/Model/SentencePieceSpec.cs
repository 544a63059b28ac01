namespace BytePiece.Model;

/// <summary>The settings of a SentencePiece model that matter at encode and decode time, with proto2's defaults.</summary>
internal sealed class SentencePieceSpec
{
    public bool TreatWhitespaceAsSuffix;
    public bool ByteFallback;
    public string UnknownSurface = " \u2047 ";
    public string BosPiece = "<s>";
    public string EosPiece = "</s>";
    public string PadPiece = "<pad>";
    public string NormalizerName = "";
    public byte[]? CharsMap;
    public bool AddDummyPrefix = true;
    public bool RemoveExtraWhitespaces = true;
    public bool EscapeWhitespaces = true;

    /// <summary>The <c>denormalizer_spec</c> (its normalizer fields only), applied to decoded text when it has a charsmap.</summary>
    public SentencePieceSpec? Denormalizer;
}
