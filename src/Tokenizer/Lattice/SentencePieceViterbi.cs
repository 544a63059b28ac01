using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BytePiece;

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
        // best[e] starts at -inf, so the first (finite) candidate always wins, as spm's `starts_at == -1` test does.
        Span<float> best = scratch.Best.AsSpan(0, n + 1);
        best.Fill(float.NegativeInfinity);
        best[0] = 0;
        scratch.BackTrie = SentencePieceLattice.Walk(model, text, new Relax(best, scratch.Back.AsSpan(0, n + 1), model.MinScore - UnknownPenalty));
        return SentencePieceLattice.Backtrack(model, scratch, n);
    }

    private ref struct Relax(Span<float> best, Span<long> back, float unknownScore) : ISentencePieceEdges
    {
        private readonly ref float _best = ref MemoryMarshal.GetReference(best);
        private readonly ref long _back = ref MemoryMarshal.GetReference(back);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Start(int start) => Unsafe.Add(ref _best, start);

        /// <summary>Branch-free (the outcome is data-dependent and mispredicts): a -inf score never beats a holder.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step(int start, int end, int cell, double score, double here)
        {
            double candidate = score + here;
            ref float holder = ref Unsafe.Add(ref _best, end);
            ref long holderBack = ref Unsafe.Add(ref _back, end);
            bool wins = candidate > holder;
            long mask = -(long)Unsafe.As<bool, byte>(ref wins);
            holderBack = (SentencePieceLattice.BackEntry(start, cell) & mask) | (holderBack & ~mask);
            holder = (float)double.MaxNative(candidate, holder);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Unknown(int start, int end, double here)
        {
            float candidate = unknownScore + (float)here; // float + float in spm: a float sum (here is a float's value)
            ref float holder = ref Unsafe.Add(ref _best, end);
            if (candidate > holder)
            {
                holder = candidate;
                Unsafe.Add(ref _back, end) = SentencePieceLattice.BackEntry(start, -1);
            }
        }
    }
}
