namespace BytePiece;

/// <summary>One segmentation of a text, as returned by <see cref="UnigramTokenizer.NBest(string, int)"/>.</summary>
/// <param name="Ids">The token ids, in order.</param>
/// <param name="LogProb">Its log-probability under the model: the sum of the pieces' logp (alpha plays no part).</param>
public sealed record Segmentation(IReadOnlyList<int> Ids, double LogProb);
