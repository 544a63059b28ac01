namespace BytePiece;

/// <summary>
/// One drawn segmentation with a score, as <see cref="UnigramTokenizer.SampleEncodeAndScore"/> returns
/// it (spm's <c>sample_encode_and_score</c>).
/// </summary>
/// <param name="Ids">The token ids, in order.</param>
/// <param name="Score">Drawn with replacement: the segmentation's log-probability <c>alpha * S(w) - log Z</c>.
/// Drawn without replacement: the log of its (estimated) probability of being in the sample, for
/// importance weighting; 0 for the best segmentation when it was included on purpose.</param>
public sealed record ScoredSegmentation(IReadOnlyList<int> Ids, double Score);
