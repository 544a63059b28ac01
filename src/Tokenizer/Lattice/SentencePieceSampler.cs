using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BytePiece;

/// <summary>
/// Exact one-pass sampling over spm's lattice without building it: the walk of
/// <see cref="SentencePieceViterbi"/> (character starts, trie matches, an unknown node where no
/// one-character piece starts), with forward log partition values
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
        Span<double> forward = scratch.ForwardFor(n + 1);
        Span<int> back = scratch.Back.AsSpan(0, n + 1);
        forward.Fill(double.NegativeInfinity);
        forward[0] = 0;

        PieceTrie trie = model.Trie;
        ref TrieNode nodes = ref MemoryMarshal.GetArrayDataReference(trie.Nodes);
        double[] scores = trie.Scores;
        ref byte textRef = ref MemoryMarshal.GetReference(text);
        double unknownWeight = alpha * (model.MinScore - 10f);

        for (int i = 0; i < n;)
        {
            double here = forward[i];
            int charLength = Math.Min(SentencePieceViterbi.OneCharLength(Unsafe.Add(ref textRef, i)), n - i);
            bool hasSingle = false;
            int node = PieceTrie.Root;
            int nodeBase = nodes.Base;
            for (int j = i; j < n; j++)
            {
                int t = nodeBase + Unsafe.Add(ref textRef, j);
                ref TrieNode cell = ref Unsafe.Add(ref nodes, t);
                if (cell.Check != node) break;
                node = t;
                nodeBase = cell.Base;
                double score = scores[t];
                if (double.IsNegativeInfinity(score)) continue;
                Relax(forward, back, j + 1, here + alpha * score, t, ref choice);
                if (j + 1 - i == charLength) hasSingle = true;
            }
            if (!hasSingle) Relax(forward, back, i + charLength, here + unknownWeight, ~charLength, ref choice);
            i += charLength;
        }
        return SentencePieceViterbi.Backtrack(model, scratch, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Relax<TChoice>(Span<double> forward, Span<int> back, int end, double w, int edge, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        double total = Sampler.LogAddExp(forward[end], w);
        forward[end] = total;
        if (choice.Accept(end, edge, Math.Exp(w - total), 1.0)) back[end] = edge;
    }
}
