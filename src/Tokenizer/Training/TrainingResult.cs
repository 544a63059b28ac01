namespace BytePiece.Training;

/// <summary>The trained models, largest first, and what training did.</summary>
/// <param name="Models">One model per requested size, largest first.</param>
/// <param name="Statistics">What training saw and did.</param>
/// <param name="HeldOut">The held-out text (NFC bytes of whole chunks; empty without a holdout), for measuring the models.</param>
public sealed record TrainingResult(IReadOnlyList<UnigramModel> Models, TrainingStatistics Statistics, ReadOnlyMemory<byte> HeldOut);
