namespace BytePiece.Lattice;

/// <summary>
/// A counter-based generator: draw k of the stream keyed by (seed, chunk) is SplitMix64's output for
/// state <c>key + k * golden</c>, so any chunk's stream can be made anywhere without shared state.
/// </summary>
internal struct CounterRng : IReservoirChoice
{
    private const ulong Golden = 0x9E37_79B9_7F4A_7C15;
    private ulong _state;

    public CounterRng(ulong seed, long chunk) => _state = Mix(seed ^ Mix(unchecked((ulong)chunk + Golden)));

    /// <summary>
    /// Accepts with probability weight / total: one 53-bit uniform u, accepted when u * total &lt; weight
    /// (always when they are equal: a first candidate). Evaluated without branches: the outcome is random,
    /// so a branch on it would mispredict half the time.
    /// </summary>
    public bool Accept(int end, int cell, double weight, double total) => (NextDouble() * total < weight) | (weight >= total);

    /// <summary>A uniform double in [0, 1) with 53 random bits (converted as a long: below 2^53 it is the same value, in one instruction).</summary>
    public double NextDouble() => (long)(Next() >> 11) * (1.0 / (1UL << 53));

    public ulong Next()
    {
        _state = unchecked(_state + Golden);
        return Mix(_state);
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            return z ^ (z >> 31);
        }
    }
}
