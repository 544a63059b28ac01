using System.Runtime.CompilerServices;
using BytePiece.Lattice;

namespace BytePiece.Families.SentencePiece;

/// <summary>
/// Exact one-pass sampling over spm's lattice without storing it: the edges of
/// <see cref="SentencePieceLattice"/>, forward log partition values
/// <c>Z[e] = log sum exp(Z[s] + alpha * score)</c> and, at each end, a reservoir choice of its incoming
/// edge (the k-th replaces the holder with probability of its mass over the mass so far). Walking back
/// from the end draws a segmentation with probability exactly <c>exp(alpha * score(w)) / Z</c>.
/// </summary>
internal static class SentencePieceSampler
{
    /// <summary>Draws a path; ids and starts (last first) go to the scratch, as <see cref="SentencePieceViterbi.Solve"/> leaves them.</summary>
    /// <returns>The number of tokens.</returns>
    public static int Solve<TChoice>(SentencePieceModel model, ReadOnlySpan<byte> text, SentencePieceScratch scratch, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = text.Length;
        scratch.EnsureLattice(n);
        Span<LatticePosition> positions = scratch.Positions.AsSpan(0, n + 1);
        positions.Fill(new LatticePosition { Value = double.NegativeInfinity });
        positions[0].Value = 0;
        var draw = new Draw<TChoice>(positions, alpha, alpha * (model.MinScore - 10f), ref choice);
        scratch.BackTrie = SentencePieceLattice.Walk(model, text, draw);
        return SentencePieceLattice.Backtrack(model, scratch, n);
    }

    /// <summary>Values are the forward log partition values.</summary>
    private ref struct Draw<TChoice>(Span<LatticePosition> positions, double alpha, double unknownWeight, ref TChoice choice) : ISentencePieceEdges
        where TChoice : IReservoirChoice
    {
        private readonly Span<LatticePosition> _positions = positions;
        private ref TChoice _choice = ref choice;

        public readonly double Start(int start, double carried) => carried;

        public double Step(int start, int end, int cell, double score, double here)
            => double.IsNegativeInfinity(score) ? _positions[end].Value : Add(start, end, here + alpha * score, cell);

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
