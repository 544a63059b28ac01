namespace BytePiece;

/// <summary>One segmentation of a text, as returned by <see cref="UnigramTokenizer.NBest(string, int)"/>.</summary>
/// <param name="Ids">The token ids, in order.</param>
/// <param name="LogProb">Its log-probability under the model: the sum of the pieces' logp (alpha plays no part).</param>
public sealed record Segmentation(IReadOnlyList<int> Ids, double LogProb)
{
    /// <summary>
    /// Where each token came from, one range per id: UTF-16 ranges into the text given to
    /// <see cref="UnigramTokenizer.NBest(string, int)"/> (by the rules of the family's token offsets, as
    /// <c>EncodeToTokens</c> gives them), or byte ranges into the bytes given to BytePiece's byte overloads.
    /// </summary>
    public IReadOnlyList<Range> Offsets { get; init; } = [];
}
