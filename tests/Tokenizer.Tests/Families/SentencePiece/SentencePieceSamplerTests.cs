using System.Text;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// The SentencePiece sampler's two arithmetic paths (linear sums of per-cell weights, rescaled by powers of two;
/// log-sum-exp for alphas whose weights leave a double's range) draw from the exact <c>exp(alpha * score) / Z</c>:
/// black-box against a brute-force enumeration (chi-square, fixed seed, significance 1e-3), and white-box on
/// texts long enough that the linear sums must be rescaled, against forward values computed in the log domain.
/// </summary>
public class SentencePieceSamplerTests(ITestOutputHelper output)
{
    private const int Draws = 100_000;
    private const double Significance = 1e-3;

    /// <summary>
    /// The alphas' paths are stated, and checked, so that both are covered: test_model's weights fit the linear
    /// path up to alpha ~7.8, test_ja_model's up to ~2.5 (its long pieces score far above their length's share);
    /// the texts above those alphas are ones with several segmentations still likely.
    /// </summary>
    [SkippableTheory]
    [InlineData("test_model.model", "hello world", 0.5, true)]
    [InlineData("test_model.model", "telescope", 0.0, true)]
    [InlineData("test_model.model", "expenses", 9.0, false)]
    [InlineData("test_ja_model.model", "吾輩は猫である。名前", 0.3, true)]
    [InlineData("test_ja_model.model", "三毛子の事も", 2.6, false)]
    public void Draws_FollowTheExactEnumeration_OnBothArithmeticPaths(string model, string text, double alpha, bool linear)
    {
        var tokenizer = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath(model));
        Assert.Equal(linear, SentencePieceEdgeWeights.For(tokenizer.Model, alpha).Linear);
        Dictionary<string, double> exact = SentencePieceLatticeTests.ExactDistribution(tokenizer, text, alpha);
        var (p, chi, df) = DrawsAgainst(exact, tokenizer, text, alpha, Draws, seed: 20261203);
        output.WriteLine($"{text} alpha {alpha} ({(linear ? "linear" : "log-domain")}): {exact.Count} segmentations, chi-square {chi:F1}, df {df}, p = {p:G3}");
        Assert.True(df >= 2, $"only {df} degrees of freedom: the test would have little power");
        Assert.True(p > Significance, $"the draws do not follow exp(alpha S)/Z: p = {p}");
    }

    /// <summary>
    /// A model whose weights fit the linear path (within e^±150) but lie far apart within a piece's reach: "a" weighs
    /// about e^-140 and "a" x 20 about e^+150 (24 filler letters put the mean per-byte score near 0). On a run of a's,
    /// the sums at successive starts fall by e^-140 per character while the long piece's mass waits 20 bytes ahead,
    /// so the rescalings would push it past a double's range: the sampler must notice and draw in the log domain.
    /// 45 a's have 21 equally likely segmentations (two long pieces and five a's in any order; the rest weigh e^-2800
    /// less): chi-square, 100,000 draws, significance 1e-3.
    /// </summary>
    [SkippableFact]
    public void Draws_FollowTheExactEnumeration_WhenTheLinearSumsOutgrowOneScale()
    {
        const float single = -140f, run = 149.7f;
        const int fillers = 24;
        float filler = (-0.01f * (fillers + 2) - single - run / 20) / fillers; // brings the mean per-byte score to -0.01
        var pieces = new List<(byte[], float)> { ("a"u8.ToArray(), single), (Encoding.ASCII.GetBytes(new string('a', 20)), run) };
        for (int k = 0; k < fillers; k++) pieces.Add(([(byte)('b' + k)], filler));
        var tokenizer = new SentencePieceTokenizer(ModelFile.LoadSentencePiece(ModelSizeLimitTests.SentencePieceModelWith(pieces)));
        Assert.True(SentencePieceEdgeWeights.For(tokenizer.Model, 1.0).Linear, "the model's weights must take the linear path, or the test tests nothing");
        string text = new('a', 45);
        Dictionary<string, double> exact = SentencePieceLatticeTests.ExactDistribution(tokenizer, text, 1.0);
        Assert.Equal(21, exact.Count(e => e.Value > 1e-6));
        var (p, chi, df) = DrawsAgainst(exact, tokenizer, text, 1.0, Draws, seed: 20261203);
        output.WriteLine($"{exact.Count} segmentations, 21 likely: chi-square {chi:F1}, df {df}, p = {p:G3}");
        Assert.True(p > Significance, $"the draws do not follow exp(alpha S)/Z: p = {p}");
    }

    /// <summary>
    /// Building a model's weights walks every cell of its tries, so alternating alphas (one caller, or threads
    /// sampling with different ones) must find them cached rather than rebuild them on every sentence.
    /// </summary>
    [Fact]
    public void EdgeWeights_AreKeptForSeveralAlphas_NotRebuiltWhenCallersAlternate()
    {
        SentencePieceModel m = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath("test_model.model")).Model;
        double[] alphas = [0.1, 0.5, 0.2, 1.0];
        SentencePieceEdgeWeights[] first = [.. alphas.Select(a => SentencePieceEdgeWeights.For(m, a))];
        for (int round = 0; round < 3; round++)
            for (int k = 0; k < alphas.Length; k++)
                Assert.Same(first[k], SentencePieceEdgeWeights.For(m, alphas[k]));
        Assert.NotSame(first[0], SentencePieceEdgeWeights.For(m, 0.3)); // a fifth alpha is built (and the oldest dropped)
        Assert.Equal(0.3, SentencePieceEdgeWeights.For(m, 0.3).Alpha);
    }

    /// <summary>
    /// Chi-square of <paramref name="draws"/> encodings of <paramref name="text"/> (draw i as sentence i) against the
    /// <paramref name="exact"/> distribution of encodings; a drawn encoding that is not in it fails the test.
    /// </summary>
    internal static (double PValue, double ChiSquare, int DegreesOfFreedom) DrawsAgainst(Dictionary<string, double> exact, SentencePieceTokenizer tokenizer,
        string text, double alpha, int draws, ulong seed)
    {
        var drawn = new Dictionary<string, long>();
        for (int i = 0; i < draws; i++)
        {
            string key = string.Join(" ", tokenizer.EncodeToIds(text, new SamplingOptions(alpha, seed, FirstChunk: i)));
            drawn[key] = drawn.GetValueOrDefault(key) + 1;
        }
        Assert.All(drawn.Keys, k => Assert.True(exact.ContainsKey(k), $"drew a segmentation that does not exist: {k}"));
        return Statistics.ChiSquare([.. exact.Select(e => (e.Value, drawn.GetValueOrDefault(e.Key)))], draws);
    }

    /// <summary>
    /// Every reservoir step at every end of a long text: the probability that the end's holder is an edge
    /// (s, e) equals <c>exp(F[s] + alpha * score - F[e])</c>, F being the forward log partition values computed
    /// in the log domain over the explicit lattice. The texts are long enough that the linear sums leave 2^±300
    /// (checked): the rescaling must keep every ratio.
    /// </summary>
    [SkippableTheory]
    [InlineData("test_model.model", "botchan.txt")]
    [InlineData("test_ja_model.model", "wagahaiwa_nekodearu.txt")]
    public void Sampler_WhiteBox_OnLongTexts_HoldsEachEdgeWithItsExactProbability_AcrossRescalings(string model, string textFile)
    {
        var tokenizer = SentencePieceTokenizer.Load(SentencePiecePeer.SharedModelPath(model));
        SentencePieceModel m = tokenizer.Model;
        string text = string.Join(" ", File.ReadLines(SentencePiecePeer.SharedModelPath(textFile)).Where(l => l.Length > 0).Take(1000));
        byte[] normalized = Encoding.UTF8.GetBytes(tokenizer.Normalize(text))[..30000];
        while ((normalized[^1] & 0xC0) == 0x80 || normalized[^1] >= 0xC0) normalized = normalized[..^1]; // whole characters
        LatticeGraph graph = LatticeGraph.ForSentencePiece(m, normalized);
        foreach (double alpha in new[] { 0.0, 0.1, 0.5, 1.0 })
        {
            SentencePieceEdgeWeights weights = SentencePieceEdgeWeights.For(m, alpha);
            Assert.True(weights.Linear);
            double[] forward = ForwardBackward.Forward(graph, alpha);
            // The linear sum at e is exp(F[e] - alpha c e) times the scale: beyond 2^±300 at some start, it was rescaled.
            double widest = Enumerable.Range(0, forward.Length).Where(e => !double.IsNegativeInfinity(forward[e]))
                .Max(e => Math.Abs(forward[e] - alpha * weights.PerByte * e)) / Math.Log(2);
            Assert.True(widest > 600, $"alpha {alpha}: the sums reach only 2^{widest:F0}; the text does not test rescaling");

            var recorder = new SamplingTests.Recorder();
            var scratch = new SentencePieceScratch();
            SentencePieceSampler.Solve(m, normalized, scratch, alpha, recorder);
            PieceTrie trie = scratch.BackTrie!;
            int edges = 0;
            double worst = 0;
            foreach (var (end, entries) in recorder.ByEnd)
            {
                foreach (var (edge, _) in entries)
                {
                    int piece = edge >= 0 ? trie.PieceAt[edge] : -1;
                    if (edge >= 0 && piece < 0) continue; // a step that ends no piece: weight 0, never held
                    int length = edge >= 0 ? m.GetPieceBytes(m.TrieIds[piece]).Length : ~edge;
                    double score = edge >= 0 ? trie.Scores[edge] : m.MinScore - 10f;
                    double exact = Math.Exp(forward[end - length] + alpha * score - forward[end]);
                    double held = recorder.Holds(end, edge);
                    // Absolute: keeping an earlier holder against a candidate of nearly all the mass has probability
                    // 1 - w / t, whose rounding (of t, in any double arithmetic) is relative to t, not to the difference.
                    worst = Math.Max(worst, Math.Abs(held - exact));
                    Assert.True(Math.Abs(held - exact) <= 1e-12 + 1e-9 * exact, $"alpha {alpha}, edge {edge} ending at {end}: held with {held:R}, exactly {exact:R}");
                    edges++;
                }
            }
            Assert.Equal(graph.End.Length, edges);
            output.WriteLine($"{model}, {normalized.Length} bytes, alpha {alpha}: sums reach 2^{widest:F0}; {edges} edges held with their exact probability (worst absolute error {worst:G2})");
        }
    }
}
