namespace BytePiece.Normalization;

/// <summary>
/// The letter appended to a prompt to normalize it as the beginning of a longer text (the continuation
/// fix): normalizers strip and add at the very end of a text what they leave alone inside one. It must be
/// a letter every normalization keeps as it is and no user-defined symbol or added token contains.
/// </summary>
internal static class PromptSentinel
{
    private const string Candidates = "aqxz0";

    /// <summary>The first candidate <paramref name="isUsed"/> rejects none of.</summary>
    /// <exception cref="NotSupportedException">Every candidate is used.</exception>
    public static char Pick(Func<char, bool> isUsed)
    {
        foreach (char c in Candidates)
            if (!isUsed(c)) return c;
        throw new NotSupportedException($"every sentinel candidate ({Candidates}) occurs in a user-defined symbol or added token");
    }
}
