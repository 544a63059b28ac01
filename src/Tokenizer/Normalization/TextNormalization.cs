namespace BytePiece;

/// <summary>How a model normalizes <em>text</em> input before encoding. Byte input is never normalized.</summary>
public enum TextNormalization
{
    /// <summary>No normalization: the UTF-8 bytes of the string are encoded as they are.</summary>
    None = 0,

    /// <summary>Unicode NFC, as upstream BytePiece does (the default).</summary>
    Nfc = 1,
}
