using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BytePiece.Lattice;
using BytePiece.Lookup;

namespace BytePiece.Families.SentencePiece;

/// <summary>
/// SentencePiece's optimized Unigram Viterbi (unigram_model.cc, <c>EncodeOptimized</c>), to the bit, over
/// the edges of <see cref="SentencePieceLattice"/>: every edge relaxes its end with a strict <c>&gt;</c>
/// (ends meet candidates from increasing starts, so the earliest start wins ties) and the first
/// candidate of an end always wins. Best scores are stored as float32; a piece's candidate is formed in
/// double (in spm the user-defined branch makes the score expression a double) and rounded when stored,
/// an unknown's candidate (min score - 10) is a float sum. Ties resolve exactly as there.
/// </summary>
internal static class SentencePieceViterbi
{
    private const float UnknownPenalty = 10f;

    /// <summary>Solves the lattice of normalized <paramref name="text"/>; the path (ids and starts, last first) goes to the scratch.</summary>
    /// <returns>The number of tokens.</returns>
    public static int Solve(SentencePieceModel model, ReadOnlySpan<byte> text, SentencePieceScratch scratch)
    {
        int n = text.Length;
        scratch.EnsureLattice(n);
        // Every value starts at -inf, so the first (finite) candidate always wins, as spm's `starts_at == -1` test does.
        Span<LatticePosition> positions = scratch.Positions.AsSpan(0, n + 1);
        positions.Fill(new LatticePosition { Value = double.NegativeInfinity });
        positions[0].Value = 0;
        scratch.BackTrie = SentencePieceLattice.Walk(model, text, new Relax(positions, model.MinScore - UnknownPenalty));
        return SentencePieceLattice.Backtrack(model, scratch, n);
    }

    /// <summary>Values are spm's float32 best scores, held in doubles (converted when stored, so reads need no conversion).</summary>
    private ref struct Relax(Span<LatticePosition> positions, float unknownScore) : ISentencePieceEdges
    {
        private readonly ref LatticePosition _positions = ref MemoryMarshal.GetReference(positions);

        public readonly double[] CellValues(PieceTrie trie) => trie.Scores;

        /// <summary>Where no piece ends, the score is -infinity: it never beats a holder.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool IsPiece(double value) => value != double.NegativeInfinity;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Start(int start, double carried) => carried;

        /// <summary>Branch-free (the outcome is data-dependent and mispredicts): a -inf score never beats a holder.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Step(int start, int end, int cell, double score, double here)
        {
            double candidate = score + here;
            ref LatticePosition holder = ref Unsafe.Add(ref _positions, end);
            double held = holder.Value;
            bool wins = candidate > held;
            long mask = -(long)Unsafe.As<bool, byte>(ref wins);
            holder.Back = (SentencePieceLattice.BackEntry(start, cell) & mask) | (holder.Back & ~mask);
            double value = (float)double.MaxNative(candidate, held);
            holder.Value = value;
            return value;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Unknown(int start, int end, double here)
        {
            float candidate = unknownScore + (float)here; // float + float in spm: a float sum (here is a float's value)
            ref LatticePosition holder = ref Unsafe.Add(ref _positions, end);
            if (candidate > holder.Value)
            {
                holder.Value = candidate;
                holder.Back = SentencePieceLattice.BackEntry(start, -1);
            }
            return holder.Value;
        }
    }
}
