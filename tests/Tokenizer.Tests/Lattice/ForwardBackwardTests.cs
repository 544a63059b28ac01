using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Forward-backward against an exact enumeration of every path of small lattices: log Z (whole and of every
/// prefix and suffix), each edge's marginal probability, and the entropy of <c>P^alpha / Z</c>.
/// </summary>
public class ForwardBackwardTests
{
    /// <summary>From uniform (0) to a near-argmax (1e3), where only exact ties keep the entropy above 0.</summary>
    public static readonly double[] Alphas = [0, 0.1, 0.5, 1, 2.5, 1e3];

    /// <summary>A lattice with a description of where it came from, for FsCheck's report.</summary>
    internal sealed record Lattice(LatticeGraph Graph, string Source)
    {
        public override string ToString()
            => $"{Source}; {Graph.Length} positions; edges " + string.Join(" ", Enumerable.Range(0, Graph.Length)
                .SelectMany(s => Enumerable.Range(Graph.First[s], Graph.First[s + 1] - Graph.First[s]).Select(k => $"{s}-{Graph.End[k]}:{Graph.Score[k]:R}")));
    }

    /// <summary>BytePiece lattices: a random small vocabulary (ties common) over texts of up to 12 bytes, newlines making chunks.</summary>
    private static readonly Gen<Lattice> BytePieceLattices =
        from model in TestVocab.Model
        from text in TestVocab.Text(12)
        select new Lattice(new LatticeGraph(model, text), $"BytePiece text {Convert.ToHexString(text)}");

    /// <summary>
    /// tokenizer.json word lattices: any scores (positive, negative, tied, far apart), pieces over 'a'..'c', and
    /// 'x' which no piece holds (an unknown edge at min score - 10).
    /// </summary>
    private static readonly Gen<Lattice> WordLattices =
        from pieces in Gen.Choose(0, 14).SelectMany(n => Gen.ArrayOf(Gen.Choose(2, 4).SelectMany(m => Gen.ArrayOf(Gen.Elements('a', 'b', 'c'), m)), n))
        from scores in Gen.ArrayOf(Gen.Elements(-0.5, -1.0, -1.0, -2.0, -3.25, 0.0, 1.5, -20.0, 7.0), pieces.Length + 3)
        from word in Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Frequency((8, Gen.Elements('a', 'b', 'c')), (1, Gen.Constant('x'))), n))
        select WordLattice(pieces, scores, new string(word));

    private static Lattice WordLattice(char[][] pieces, double[] scores, string word)
    {
        var vocab = new List<(string Piece, double Score)> { ("<unk>", scores[0]), ("a", scores[1]), ("b", scores[2]), ("c", -1) };
        foreach (var (piece, k) in pieces.Select((p, k) => (new string(p), k)))
            if (!vocab.Any(v => v.Piece == piece)) vocab.Add((piece, scores[k + 3]));
        var model = new TokenizerJsonUnigram(vocab, unknownId: 0, byteFallback: false);
        return new Lattice(LatticeGraph.ForWord(model, System.Text.Encoding.UTF8.GetBytes(word)),
            $"word '{word}' over {string.Join(" ", vocab.Select(v => $"{v.Piece}:{v.Score}"))}");
    }

    /// <summary>Independent parts laid end to end: single edges, choices (tied or not) and small BytePiece lattices.</summary>
    private static readonly Gen<Lattice> ConcatenatedLattices =
        from parts in Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Gen.OneOf(
            Gen.Choose(0, 1000).Select(p => (LatticeGraph.Fixed(p), "fixed")),
            Gen.Choose(1, 4).SelectMany(m => Gen.ArrayOf(Gen.Elements(-1.0, -2.0, -2.0, 0.5, -7.75), m)).Select(s => (LatticeGraph.Choices(s), $"choices {string.Join(",", s)}")),
            BytePieceLattices.Select(l => (l.Graph, l.Source))), n))
        where parts.Sum(p => p.Item1.Length) <= 14
        select new Lattice(LatticeGraph.Concatenate([.. parts.Select(p => p.Item1)], out _), string.Join(" + ", parts.Select(p => p.Item2)));

    private static readonly Gen<Lattice> AnyLattice = Gen.OneOf(BytePieceLattices, WordLattices, ConcatenatedLattices);

    /// <summary>Every path from <paramref name="from"/> to <paramref name="to"/> as edge lists (exhaustive depth-first search).</summary>
    private static List<int[]> Paths(LatticeGraph g, int from, int to)
    {
        var paths = new List<int[]>();
        var stack = new List<int>();
        void Extend(int s)
        {
            if (s == to)
            {
                paths.Add([.. stack]);
                return;
            }
            if (s > to) return;
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
            {
                stack.Add(k);
                Extend(g.End[k]);
                stack.RemoveAt(stack.Count - 1);
            }
        }
        Extend(from);
        return paths;
    }

    /// <summary>The exact distribution over the lattice's paths at <paramref name="alpha"/>, by enumeration.</summary>
    private sealed class Enumerated
    {
        public readonly List<int[]> Paths;
        public readonly double LogZ;
        public readonly double[] P;

        /// <summary>alpha * (S(path) - S(best path)): at most 0, exactly 0 for the best path.</summary>
        private readonly double[] _below;

        /// <summary>Sum of exp(below) over every path but the best (Z / exp(alpha S(best)) - 1, without the subtraction).</summary>
        private readonly double _rest;

        public Enumerated(LatticeGraph g, double alpha, int from, int to)
        {
            Paths = ForwardBackwardTests.Paths(g, from, to);
            if (Paths.Count == 0)
            {
                LogZ = double.NegativeInfinity;
                P = _below = [];
                return;
            }
            // Path scores summed with compensation, so that differences between paths keep their precision.
            double[] scores = [.. Paths.Select(path => Sum(path.Select(k => g.Score[k])))];
            int best = Array.IndexOf(scores, scores.Max());
            _below = [.. scores.Select(s => alpha * (s - scores[best]))];
            _rest = _below.Where((_, i) => i != best).Sum(Math.Exp);
            LogZ = alpha * scores[best] + double.LogP1(_rest);
            double total = 1 + _rest;
            P = [.. _below.Select(b => Math.Exp(b) / total)];
        }

        /// <summary>-sum p ln p = ln(Z / exp(alpha S(best))) + sum p (-below): two sums of non-negative terms, no cancellation.</summary>
        public double Entropy => double.LogP1(_rest) + P.Select((p, i) => p * -_below[i]).Sum();

        public double Marginal(int edge) => P.Where((p, i) => Paths[i].Contains(edge)).Sum();

        public double ExpectedPieces => P.Select((p, i) => p * Paths[i].Length).Sum();

        private static double Sum(IEnumerable<double> values)
        {
            double sum = 0, compensation = 0;
            foreach (double v in values)
            {
                double t = sum + v;
                compensation += Math.Abs(sum) >= Math.Abs(v) ? (sum - t) + v : (v - t) + sum;
                sum = t;
            }
            return sum + compensation;
        }
    }

    private static void AssertClose(double expected, double actual, double relative, string what)
    {
        if (double.IsNegativeInfinity(expected) && double.IsNegativeInfinity(actual)) return;
        double tolerance = relative * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (difference {Math.Abs(expected - actual):E2})");
    }

    private static void ForEveryLatticeAndAlpha(Action<LatticeGraph, double> property, int maxTest = 200)
        => TestVocab.Check(AnyLattice, lattice =>
        {
            foreach (double alpha in Alphas) property(lattice.Graph, alpha);
            return true;
        }, maxTest, seed: 20261221);

    [SkippableFact]
    public void LogZ_OfTheWholeLatticeAndOfEveryPrefixAndSuffix_EqualsTheEnumeration()
    {
        ForEveryLatticeAndAlpha((g, alpha) =>
        {
            var (forward, backward) = ForwardBackward.Run(g, alpha);
            Assert.Equal(g.Length + 1, forward.Length);
            Assert.Equal(g.Length + 1, backward.Length);
            Assert.Equal(forward, ForwardBackward.Forward(g, alpha));
            for (int e = 0; e <= g.Length; e++)
                AssertClose(new Enumerated(g, alpha, 0, e).LogZ, forward[e], 1e-12, $"alpha {alpha}: log Z of the prefix to {e}");
            for (int s = 0; s <= g.Length; s++)
                AssertClose(new Enumerated(g, alpha, s, g.Length).LogZ, backward[s], 1e-12, $"alpha {alpha}: log Z of the suffix from {s}");
        });
    }

    [SkippableFact]
    public void AtAlphaZero_LogZ_IsTheLogOfThePathCount_AndTheEntropyToo()
    {
        TestVocab.Check(AnyLattice, lattice =>
        {
            LatticeGraph g = lattice.Graph;
            int count = Paths(g, 0, g.Length).Count;
            AssertClose(Math.Log(count), ForwardBackward.Forward(g, 0)[g.Length], 1e-12, "log Z at alpha 0");
            if (count > 0) AssertClose(Math.Log(count), ForwardBackward.Entropy(g, 0), 1e-12, "entropy at alpha 0");
            return true;
        }, maxTest: 200, seed: 20261222);
    }

    [SkippableFact]
    public void EveryEdgesMarginal_IsTheProbabilityOfThePathsThroughIt()
    {
        ForEveryLatticeAndAlpha((g, alpha) =>
        {
            var exact = new Enumerated(g, alpha, 0, g.Length);
            if (exact.Paths.Count == 0) return;
            var (forward, backward) = ForwardBackward.Run(g, alpha);
            double[] marginals = ForwardBackward.Marginals(g, alpha, forward, backward);
            Assert.Equal(g.End.Length, marginals.Length);
            for (int k = 0; k < marginals.Length; k++)
            {
                Assert.InRange(marginals[k], 0, 1);
                AssertClose(exact.Marginal(k), marginals[k], 1e-9, $"alpha {alpha}: marginal of edge {k}");
            }
        });
    }

    [SkippableFact]
    public void TheMarginals_SumToTheExpectedPieceCount_AndCoverEveryByteOnce()
    {
        ForEveryLatticeAndAlpha((g, alpha) =>
        {
            var exact = new Enumerated(g, alpha, 0, g.Length);
            if (exact.Paths.Count == 0) return;
            var (forward, backward) = ForwardBackward.Run(g, alpha);
            double[] marginals = ForwardBackward.Marginals(g, alpha, forward, backward);
            AssertClose(exact.ExpectedPieces, marginals.Sum(), 1e-9, $"alpha {alpha}: expected piece count");
            // Every path covers each byte with exactly one edge, so the edges over a byte carry probability 1.
            for (int i = 0; i < g.Length; i++)
            {
                double over = 0;
                for (int s = 0; s <= i; s++)
                    for (int k = g.First[s]; k < g.First[s + 1]; k++)
                        if (g.End[k] > i) over += marginals[k];
                AssertClose(1, over, 1e-9, $"alpha {alpha}: probability of the edges over byte {i}");
            }
        });
    }

    [SkippableFact]
    public void TheEntropy_IsNonNegative_AndEqualsMinusSumPLogP_To1e9Relative()
    {
        ForEveryLatticeAndAlpha((g, alpha) =>
        {
            var exact = new Enumerated(g, alpha, 0, g.Length);
            if (exact.Paths.Count == 0) return;
            double entropy = ForwardBackward.Entropy(g, alpha);
            double expected = Math.Max(0, exact.Entropy);
            Assert.True(entropy >= 0, $"alpha {alpha}: entropy {entropy:R}");
            Assert.True(entropy <= Math.Log(exact.Paths.Count) * (1 + 1e-12), $"alpha {alpha}: entropy {entropy:R} above log of {exact.Paths.Count} paths");
            Assert.True(Math.Abs(entropy - expected) <= 1e-9 * expected + 1e-15,
                $"alpha {alpha}: entropy {entropy:R}, enumeration {expected:R}, relative {Math.Abs(entropy - expected) / expected:E2}");
        });
    }

    [SkippableFact]
    public void ExactlyTiedBestPaths_KeepTheirShareAtLargeAlpha()
    {
        // Two readings of "ab" with equal scores, and a third far below: at alpha 1e3 the two share all the mass.
        LatticeGraph g = LatticeGraph.Concatenate([LatticeGraph.Choices([-1.0, -1.0, -3.0]), LatticeGraph.Fixed(7)], out _);
        var (forward, backward) = ForwardBackward.Run(g, 1e3);
        double[] marginals = ForwardBackward.Marginals(g, 1e3, forward, backward);
        AssertClose(0.5, marginals[0], 1e-12, "first tied choice");
        AssertClose(0.5, marginals[1], 1e-12, "second tied choice");
        Assert.Equal(0, marginals[2]);
        AssertClose(1, marginals[3], 1e-12, "the fixed edge");
        AssertClose(Math.Log(2), ForwardBackward.Entropy(g, 1e3), 1e-12, "entropy of two tied paths");
        AssertClose(-1e3 + Math.Log(2), forward[g.Length], 1e-12, "log Z"); // alpha * (-1 + 0) for each tied path
    }

    [SkippableFact]
    public void AnEmptyLattice_HasOneEmptyPath_LogZZeroAndNoEntropy()
    {
        LatticeGraph g = LatticeGraph.Concatenate([], out _);
        var (forward, backward) = ForwardBackward.Run(g, 1);
        Assert.Equal([0.0], forward);
        Assert.Equal([0.0], backward);
        Assert.Empty(ForwardBackward.Marginals(g, 1, forward, backward));
        Assert.Equal(0, ForwardBackward.Entropy(g, 1));
    }

    [SkippableFact]
    public void APositionNoPathReaches_HasForwardMinusInfinity_AndSoDoesEveryPositionAfterIt()
    {
        LatticeGraph g = LatticeGraph.Concatenate([LatticeGraph.Fixed(0), LatticeGraph.Choices([]), LatticeGraph.Choices([-1.0, -2.0])], out _);
        double[] forward = ForwardBackward.Forward(g, 1);
        Assert.Equal(0, forward[0]);
        Assert.Equal(0, forward[1]);
        Assert.Equal(double.NegativeInfinity, forward[2]);
        Assert.Equal(double.NegativeInfinity, forward[3]);
    }

    [Fact]
    public void ALatticeWithNoCompletePath_GivesEveryEdgeMarginalZero_NotNaN_AndZeroEntropy()
    {
        LatticeGraph g = LatticeGraph.Concatenate([LatticeGraph.Choices([-1.0, -2.0]), LatticeGraph.Choices([]), LatticeGraph.Fixed(0)], out _);
        var (forward, backward) = ForwardBackward.Run(g, 1);
        Assert.Equal(double.NegativeInfinity, forward[g.Length]);
        double[] marginals = ForwardBackward.Marginals(g, 1, forward, backward);
        Assert.Equal(3, marginals.Length);
        Assert.All(marginals, p => Assert.Equal(0.0, p));
        Assert.Equal(0, ForwardBackward.Entropy(g, 1));
    }
}
