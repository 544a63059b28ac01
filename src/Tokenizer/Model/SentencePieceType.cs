namespace BytePiece;

/// <summary>The type of a SentencePiece piece (<c>ModelProto.SentencePiece.Type</c>), which decides how it is matched and decoded.</summary>
public enum SentencePieceType
{
    /// <summary>An ordinary piece, matched from text with its score.</summary>
    Normal = 1,

    /// <summary>The unknown piece (<c>&lt;unk&gt;</c>): never matched from text; stands for characters no piece covers.</summary>
    Unknown = 2,

    /// <summary>A control symbol (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, ...): never matched from text, decodes to nothing.</summary>
    Control = 3,

    /// <summary>A user-defined symbol: matched before normalization and never split.</summary>
    UserDefined = 4,

    /// <summary>A piece kept in the vocabulary but never produced by encoding.</summary>
    Unused = 5,

    /// <summary>A byte piece <c>&lt;0xHH&gt;</c> (byte fallback): never matched from text; stands for one byte of an unknown character.</summary>
    Byte = 6,
}
