namespace BytePiece;

/// <summary>
/// The k most probable segmentations, exactly: each position keeps its k best paths, ordered by score
/// (left-to-right double sums of logp), then by the longer last piece, then by the prefix's own rank,
/// which extends Viterbi's tie rule to a total, deterministic order (the first is Viterbi's path).
/// </summary>
internal static class NBest
{
    private readonly record struct Entry(double Score, int Start, int Piece, int PrefixRank);

    /// <summary>Up to <paramref name="k"/> segmentations (piece indices, in order) with their log-probabilities, best first.</summary>
    public static List<(int[] Pieces, double LogProb)> Run(LatticeGraph g, int k)
    {
        int n = g.Length;
        var lists = new List<Entry>[n + 1];
        lists[0] = [new Entry(0, -1, -1, -1)];
        for (int s = 0; s < n; s++)
        {
            List<Entry>? from = lists[s];
            if (from is null) continue;
            for (int edge = g.First[s]; edge < g.First[s + 1]; edge++)
            {
                int e = g.End[edge];
                List<Entry> to = lists[e] ??= new List<Entry>(k + 1);
                for (int r = 0; r < from.Count; r++)
                {
                    var candidate = new Entry(from[r].Score + g.Score[edge], s, g.Piece[edge], r);
                    int at = to.Count;
                    while (at > 0 && Better(candidate, to[at - 1], e)) at--;
                    if (at >= k) break; // later prefixes of this edge rank lower still
                    to.Insert(at, candidate);
                    if (to.Count > k) to.RemoveAt(k);
                }
            }
        }
        var result = new List<(int[], double)>();
        List<Entry> last = lists[n] ?? [];
        for (int r = 0; r < last.Count; r++)
        {
            var pieces = new List<int>();
            int position = n, rank = r;
            while (position > 0)
            {
                Entry entry = lists[position][rank];
                pieces.Add(entry.Piece);
                (position, rank) = (entry.Start, entry.PrefixRank);
            }
            pieces.Reverse();
            result.Add((pieces.ToArray(), last[r].Score));
        }
        return result;
    }

    /// <summary>Whether a ranks before b among paths to <paramref name="end"/>.</summary>
    private static bool Better(Entry a, Entry b, int end)
    {
        if (a.Score != b.Score) return a.Score > b.Score;
        if (a.Start != b.Start) return a.Start < b.Start; // longer last piece
        return a.PrefixRank < b.PrefixRank;
    }
}
