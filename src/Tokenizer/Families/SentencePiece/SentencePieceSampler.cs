using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BytePiece.Lattice;
using BytePiece.Lookup;
using BytePiece.Model;

namespace BytePiece.Families.SentencePiece;

/// <summary>
/// Exact one-pass sampling over spm's lattice without storing it: the edges of
/// <see cref="SentencePieceLattice"/>, forward partition values <c>Z[e] = sum of Z[s] exp(alpha * score)</c> and,
/// at each end, a reservoir choice of its incoming edge (the k-th replaces the holder with probability of its
/// mass over the mass so far). Walking back from the end draws a segmentation with probability exactly
/// <c>exp(alpha * score(w)) / Z</c>. Two arithmetic paths, as in <see cref="Sampler"/>: <b>linear</b> (per-cell
/// weights of <see cref="SentencePieceEdgeWeights"/>, sums rescaled by exact powers of two; a candidate costs a
/// multiply, an add and a compare, and no exp or log) and <b>log-domain</b> (log-sum-exp, for alphas whose
/// weights would leave a double's range).
/// </summary>
internal static class SentencePieceSampler
{
    /// <summary>
    /// Draws a path; ids and starts (last first) go to the scratch, as <see cref="SentencePieceViterbi.Solve"/> leaves them.
    /// <paramref name="choice"/> is taken by value: a sentence's stream serves that sentence alone.
    /// </summary>
    /// <returns>The number of tokens.</returns>
    public static int Solve<TChoice>(SentencePieceModel model, ReadOnlySpan<byte> text, SentencePieceScratch scratch, double alpha, TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = text.Length;
        scratch.EnsureLattice(n);
        Span<LatticePosition> positions = scratch.Positions.AsSpan(0, n + 1);
        SentencePieceEdgeWeights weights = SentencePieceEdgeWeights.For(model, alpha);
        if (weights.Linear)
        {
            positions.Clear();
            positions[0].Value = 1;
            scratch.BackTrie = SentencePieceLattice.Walk(model, text, new LinearDraw<TChoice>(positions, weights, choice));
            if (LinearDraw<TChoice>.Fits(positions[n].Value)) return SentencePieceLattice.Backtrack(model, scratch, n);
            // The sums outgrew one scale (weights far apart within a piece's reach, on this text): the same draw,
            // from the same stream, in the log domain. A function of the model, alpha and text, so still reproducible.
        }
        positions.Fill(new LatticePosition { Value = double.NegativeInfinity });
        positions[0].Value = 0;
        scratch.BackTrie = SentencePieceLattice.Walk(model, text, new LogDraw<TChoice>(positions, alpha, alpha * (model.MinScore - 10f), ref choice));
        return SentencePieceLattice.Backtrack(model, scratch, n);
    }

    /// <summary>
    /// Values are the forward sums in the linear domain, each times one common power of two (and the common
    /// <c>exp(-alpha c len)</c> of the weights), which no acceptance probability sees. The walk takes the receiver
    /// by value, so the choice is held by value too (its state then lives in a register): the stream is the
    /// sentence's alone and ends with the walk. The fields are kept few, and the struct's address is never
    /// taken, so that the JIT can keep them all in registers.
    /// </summary>
    private ref struct LinearDraw<TChoice>(Span<LatticePosition> positions, SentencePieceEdgeWeights weights, TChoice choice) : ISentencePieceEdges
        where TChoice : IReservoirChoice
    {
        /// <summary>
        /// A start's sum beyond 2^±300 is brought back to 1: the weights are within e^±150 (2^±217), so every candidate's
        /// weight is a normal double. Sums waiting ahead are scaled with it; on usual models they stay far from a
        /// double's limits, but nothing bounds them in general, so a scaling that would leave the normal range, or a
        /// start whose sum has, ends the linear pass (NaN from there on) and <see cref="Solve"/> draws in the log domain.
        /// </summary>
        private const int MaxExponent = 300;

        private const double SmallestNormal = 2.2250738585072014E-308;

        private readonly Span<LatticePosition> _positions = positions;
        private readonly SentencePieceEdgeWeights _weights = weights;
        private TChoice _choice = choice;

        public readonly double[] CellValues(PieceTrie trie) => _weights.CellWeights(trie);

        /// <summary>A piece's weight is at least e^-150; where none ends it is 0 and adds nothing.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool IsPiece(double value) => value != 0;

        /// <summary>The start's sum as carried, unless its exponent is out of range (or it is the text's start, carried as 0): then <see cref="Rescale"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Start(int start, double carried)
        {
            int biased = (int)(BitConverter.DoubleToUInt64Bits(carried) >> 52); // carried >= 0
            return (uint)(biased - (1023 - MaxExponent)) <= 2 * MaxExponent ? carried : Rescale(_positions, start, _weights.Window);
        }

        /// <summary>
        /// Divides the sums from <paramref name="start"/> as far as an edge from it reaches (nothing beyond holds mass
        /// yet) by the start's power of two, exactly; every later edge meets sums in the new scale.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static double Rescale(Span<LatticePosition> positions, int start, int window)
        {
            double value = positions[start].Value;
            if (!Fits(value)) return double.NaN;
            int exponent = Math.ILogB(value);
            if (exponent is > MaxExponent or < -MaxExponent)
            {
                int stop = Math.Min(positions.Length - 1, start + window);
                for (int k = start; k <= stop; k++)
                {
                    double sum = positions[k].Value, scaled = Math.ScaleB(sum, -exponent);
                    if (sum != 0 && !Fits(scaled)) return double.NaN;
                    positions[k].Value = scaled;
                }
                value = positions[start].Value;
            }
            return value;
        }

        /// <summary>Whether a sum is a normal double (not zero, subnormal, infinite or NaN): it holds all its bits.</summary>
        public static bool Fits(double sum) => sum >= SmallestNormal && sum <= double.MaxValue;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Step(int start, int end, int cell, double value, double here)
            => Add(end, here * value, cell, SentencePieceLattice.BackEntry(start, cell));

        // The reservoir sees an unknown as ~length (a cell is never negative), back[] as -1.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Unknown(int start, int end, double here)
            => Add(end, here * _weights.Unknown[end - start], ~(end - start), SentencePieceLattice.BackEntry(start, -1));

        /// <summary>
        /// Adds a candidate's weight at <paramref name="end"/> and keeps it with probability weight / total, without a
        /// branch (the outcome is random, so a branch would mispredict). A zero weight (no piece) is kept only by an
        /// empty position, and the position's first real candidate replaces it for sure.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double Add(int end, double weight, int edge, long entry)
        {
            ref LatticePosition holder = ref Unsafe.Add(ref MemoryMarshal.GetReference(_positions), end);
            double total = holder.Value + weight;
            holder.Value = total;
            bool accepted = _choice.Accept(end, edge, weight, total);
            long mask = -(long)Unsafe.As<bool, byte>(ref accepted);
            holder.Back = (entry & mask) | (holder.Back & ~mask);
            return total;
        }
    }

    /// <summary>Values are the forward log partition values.</summary>
    private ref struct LogDraw<TChoice>(Span<LatticePosition> positions, double alpha, double unknownWeight, ref TChoice choice) : ISentencePieceEdges
        where TChoice : IReservoirChoice
    {
        private readonly Span<LatticePosition> _positions = positions;
        private ref TChoice _choice = ref choice;

        public readonly double[] CellValues(PieceTrie trie) => trie.Scores;

        public readonly bool IsPiece(double value) => !double.IsNegativeInfinity(value);

        public readonly double Start(int start, double carried) => carried;

        public double Step(int start, int end, int cell, double value, double here)
            => IsPiece(value) ? Add(start, end, here + alpha * value, cell) : _positions[end].Value;

        // The reservoir sees an unknown as ~length (a cell is never negative), back[] as -1.
        public double Unknown(int start, int end, double here) => Add(start, end, here + unknownWeight, ~(end - start));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double Add(int start, int end, double w, int edge)
        {
            ref LatticePosition position = ref _positions[end];
            double total = Sampler.LogAddExp(position.Value, w);
            position.Value = total;
            if (_choice.Accept(end, edge, Math.Exp(w - total), 1.0)) position.Back = SentencePieceLattice.BackEntry(start, edge >= 0 ? edge : -1);
            return total;
        }
    }
}
