using BytePiece.Lattice;

namespace BytePiece.Training;

/// <summary>
/// Training stage 4, as upstream: keep single bytes and pieces that are short and frequent enough,
/// re-segment every dropped piece with the kept pieces' Unigram model and give its count to its parts;
/// drop "wasted" pieces (whose own best segmentation is other pieces) until the size stops changing;
/// then cut to each target size (largest first) by (single bytes first, count, length, bytes), re-segment
/// the rest the same way and reach the fixed point again. Counts are integer sums, so the result does
/// not depend on how the work is split between threads.
/// </summary>
internal sealed class PiecePruner(TrainerOptions options, Action<TrainingProgress>? progress)
{
    /// <summary>Pieces after the length and count filter.</summary>
    public long Filtered { get; private set; }

    /// <summary>Pieces after the first fixed point.</summary>
    public long Stable { get; private set; }

    /// <summary>The piece sets for <see cref="TrainerOptions.VocabSizes"/>, largest first (missing single bytes are added to <paramref name="words"/>).</summary>
    public List<(int Target, PieceSet Pieces)> Prune(ByteStringCounter words)
    {
        // Every byte is a piece; a byte never seen counts 1.
        ByteStringCounter all = words;
        Span<byte> one = stackalloc byte[1];
        for (int b = 0; b < 256; b++)
        {
            one[0] = (byte)b;
            if (all.Get(one) == 0) all.Add(one, 1);
        }
        int[] order = all.SortedEntries();
        var kept = new List<int>();
        var dropped = new List<int>();
        foreach (int e in order)
        {
            int length = all.Bytes(e).Length;
            if (length == 1 || (length <= options.MaxPieceLength && all.CountOf(e) >= options.MinCount)) kept.Add(e);
            else dropped.Add(e);
        }
        PieceSet set = PieceSet.Gather(kept.Count, k => all.Bytes(kept[k]), k => all.CountOf(kept[k]));
        Filtered = set.Count;
        progress?.Invoke(new TrainingProgress("pruning pieces", 0, null));
        AddResegmented(set, dropped.Count, k => all.Bytes(dropped[k]), k => all.CountOf(dropped[k]));
        set = FixedPoint(set);
        Stable = set.Count;

        var results = new List<(int, PieceSet)>();
        foreach (int target in options.VocabSizes.Distinct().OrderByDescending(v => v))
        {
            int room = target - SpecialTokens.Count;
            if (set.Count > room)
            {
                var ranked = Enumerable.Range(0, set.Count).ToArray();
                PieceSet current = set;
                Array.Sort(ranked, (a, b) =>
                {
                    int la = current.LengthOf(a), lb = current.LengthOf(b);
                    if ((la > 1) != (lb > 1)) return la > 1 ? 1 : -1;
                    int c = current.Counts[b].CompareTo(current.Counts[a]);
                    if (c != 0) return c;
                    if (la != lb) return lb.CompareTo(la);
                    return current[a].SequenceCompareTo(current[b]);
                });
                int[] keep = ranked[..room];
                int[] rest = ranked[room..];
                Array.Sort(keep, (a, b) => current[a].SequenceCompareTo(current[b]));
                PieceSet cut = PieceSet.Gather(keep.Length, k => current[keep[k]], k => current.Counts[keep[k]]);
                AddResegmented(cut, rest.Length, k => current[rest[k]], k => current.Counts[rest[k]]);
                set = FixedPoint(cut);
            }
            results.Add((target, set));
        }
        return results;
    }

    /// <summary>Re-segments pieces until no piece is wasted (the size stops changing).</summary>
    private PieceSet FixedPoint(PieceSet set)
    {
        for (int round = 1; ; round++)
        {
            progress?.Invoke(new TrainingProgress($"pruning pieces (round {round}, {set.Count:N0} pieces)", round, null));
            long[] counts = Resegment(set.ToModel(), set.Count, p => set[p], p => set.Counts[p]);
            PieceSet next = set.Where(counts);
            if (next.Count == set.Count) return next;
            set = next;
        }
    }

    /// <summary>Re-segments the given pieces with <paramref name="set"/>'s model and adds their counts to its pieces.</summary>
    private void AddResegmented(PieceSet set, int count, PieceAt pieceAt, Func<int, long> countAt)
    {
        long[] delta = Resegment(set.ToModel(), count, pieceAt, countAt);
        for (int p = 0; p < set.Count; p++) set.Counts[p] += delta[p];
    }

    /// <summary>For each piece of the model, the summed counts of the given pieces' best segmentations that use it.</summary>
    private long[] Resegment(UnigramModel model, int count, PieceAt pieceAt, Func<int, long> countAt)
    {
        int parts = Math.Max(1, Math.Min(options.Threads, count / 1024 + 1));
        var partial = new long[parts][];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = options.Threads }, part =>
        {
            var sums = new long[model.PieceCount];
            int from = (int)((long)count * part / parts), to = (int)((long)count * (part + 1) / parts);
            for (int k = from; k < to; k++)
            {
                ReadOnlySpan<byte> piece = pieceAt(k);
                long c = countAt(k);
                LatticeScratch scratch = LatticeScratch.Rent(piece.Length);
                try
                {
                    int tokens = Viterbi.Solve(model, piece, scratch);
                    for (int t = 0; t < tokens; t++) sums[scratch.Path[t]] += c;
                }
                finally
                {
                    LatticeScratch.Return(scratch);
                }
            }
            partial[part] = sums;
        });
        long[] total = partial[0];
        for (int part = 1; part < parts; part++)
            for (int p = 0; p < total.Length; p++) total[p] += partial[part][p];
        return total;
    }
}
