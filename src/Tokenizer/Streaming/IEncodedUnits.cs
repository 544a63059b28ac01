namespace BytePiece.Streaming;

/// <summary>
/// A block of encoded units (chunks or lines) as the streaming encoder fills it on a worker and hands it out in
/// input order: ids (<see cref="EncodedBlock"/>) or a sentence model's pieces. The encoder reuses it once the
/// consumer moves on.
/// </summary>
internal interface IEncodedUnits
{
    /// <summary>The units (parts) in the block.</summary>
    int Count { get; }

    /// <summary>Empties the block for reuse, keeping its buffers.</summary>
    void Clear();

    /// <summary>Gives its pooled buffers back (at the end of a run).</summary>
    void Release();
}
