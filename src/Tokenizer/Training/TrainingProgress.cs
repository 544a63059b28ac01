namespace BytePiece.Training;

/// <summary>Where training is: a stage, and how far into it.</summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="Done">Units done (bytes of input, or steps).</param>
/// <param name="Total">Units in all, when known.</param>
public readonly record struct TrainingProgress(string Stage, long Done, long? Total);
