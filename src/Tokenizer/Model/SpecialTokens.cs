namespace BytePiece;

/// <summary>
/// The special token ids every BytePiece model reserves. They are not stored in model files and
/// never produced from text unless asked for (<c>addBos</c>/<c>addEos</c>).
/// </summary>
public static class SpecialTokens
{
    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public const int PadId = 0;

    /// <summary>Id of <c>&lt;bos&gt;</c> (beginning of sequence).</summary>
    public const int BosId = 1;

    /// <summary>Id of <c>&lt;eos&gt;</c> (end of sequence).</summary>
    public const int EosId = 2;

    /// <summary>Number of reserved ids; the first piece id a model may use.</summary>
    public const int Count = 3;

    /// <summary>The text shown for a special id (<c>&lt;pad&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a special id.</exception>
    public static string GetText(int id) => id switch
    {
        PadId => "<pad>",
        BosId => "<bos>",
        EosId => "<eos>",
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "not a special token id"),
    };
}
