using BenchmarkDotNet.Attributes;
using BytePiece.LmTools.Losses;
using BytePiece.LmTools.Rope;

namespace BytePiece.Bench;

/// <summary>RoPE rotation of a [512 tokens × 32 heads × 128] float buffer, and batched losses over [64 × 32,000] float logits.</summary>
[MemoryDiagnoser]
public class LmToolsBenchmarks
{
    private const int Tokens = 512, Heads = 32, HeadDim = 128, Rows = 64, Vocabulary = 32_000;

    private readonly float[] _buffer = new float[Tokens * Heads * HeadDim];
    private readonly long[] _positions = Enumerable.Range(0, Tokens).Select(i => (long)i).ToArray();
    private readonly float[] _logits = new float[Rows * Vocabulary];
    private readonly float[] _gradient = new float[Rows * Vocabulary];
    private readonly int[] _targets = new int[Rows];
    private RotaryEmbedding _rope = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < _buffer.Length; i++) _buffer[i] = (float)(random.NextDouble() - 0.5);
        for (int i = 0; i < _logits.Length; i++) _logits[i] = (float)(random.NextDouble() * 20 - 10);
        for (int i = 0; i < Rows; i++) _targets[i] = random.Next(Vocabulary);
        _rope = RotaryEmbedding.Create(new RopeParameters { RotaryDim = HeadDim, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 4096 }, RopeLayout.HalfSplit);
    }

    /// <summary>Elements rotated per call: 2,097,152.</summary>
    [Benchmark]
    public void RotateBuffer() => _rope.Rotate<float>(_buffer, _positions, Heads, HeadDim);

    /// <summary>Logits per call: 2,048,000.</summary>
    [Benchmark]
    public double CrossEntropyBatch() => BatchLoss.Compute<float>(_logits, _targets, Vocabulary, _gradient, (z, t, g) => TokenLosses.CrossEntropy(z, t, g, 0.1));

    /// <summary>Logits per call: 2,048,000.</summary>
    [Benchmark]
    public double TaiLrBatch() => BatchLoss.Compute<float>(_logits, _targets, Vocabulary, _gradient, (z, t, g) => TokenLosses.TaiLr(z, t, g, 0.1, 0.2));
}
