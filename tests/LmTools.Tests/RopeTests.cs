using BytePiece.LmTools.Rope;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>RoPE frequencies against the reference test vectors (float64), and the rotation's properties.</summary>
public class RopeTests
{
    private static void Close(double expected, double actual, double relative = 1e-9)
        => Assert.True(Math.Abs(expected - actual) <= relative * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    /// <summary>θ at pair indices 0, 1, 16, 32, 48, 63 (d = 128), from ../shared/reference/lmtools.md section 2.4.</summary>
    public static TheoryData<string, RopeParameters, int, double[], double> Vectors => new()
    {
        { "default 1e4", new() { RotaryDim = 128 }, 0, [1, 8.6596432336e-1, 1.0e-1, 1.0e-2, 1.0e-3, 1.1547819847e-4], 1 },
        { "default 5e5", new() { RotaryDim = 128, Base = 5e5 }, 0, [1, 8.1461723386e-1, 3.7606030931e-2, 1.4142135624e-3, 5.3182958969e-5, 2.4551407911e-6], 1 },
        { "linear 4", new() { RotaryDim = 128, Type = RopeType.Linear, Factor = 4 }, 0, [2.5e-1, 2.1649108084e-1, 2.5e-2, 2.5e-3, 2.5e-4, 2.8869549617e-5], 1 },
        { "ntk 8", new() { RotaryDim = 128, Type = RopeType.Ntk, Factor = 8 }, 0, [1, 8.3784800192e-1, 5.8971722445e-2, 3.4776640481e-3, 2.0508383900e-4, 1.4434774809e-5], 1 },
        { "dynamic 2", new() { RotaryDim = 128, Type = RopeType.Dynamic, Factor = 2, MaxPositionEmbeddings = 2048 }, 4096,
            [1, 8.5099429134e-1, 7.5653033702e-2, 5.7233815084e-3, 4.3299117415e-4, 3.8492732823e-5], 1 },
        { "yarn 4", new() { RotaryDim = 128, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 4096 }, 0,
            [1, 8.6596432336e-1, 1.0e-1, 6.5384615385e-3, 2.5e-4, 2.8869549617e-5], 1.1386294361 },
        { "yarn 16", new() { RotaryDim = 128, Type = RopeType.Yarn, Factor = 16, MaxPositionEmbeddings = 4096 }, 0,
            [1, 8.6596432336e-1, 1.0e-1, 5.6730769231e-3, 6.25e-5, 7.2173874043e-6], 1.2772588722 },
        { "yarn 4 untruncated", new() { RotaryDim = 128, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 4096, Truncate = false }, 0,
            [1, 8.6596432336e-1, 1.0e-1, 6.5569715211e-3, 2.5e-4, 2.8869549617e-5], 1.1386294361 },
        { "yarn 1e6 L=32768", new() { RotaryDim = 128, Type = RopeType.Yarn, Factor = 4, Base = 1e6, OriginalMaxPositionEmbeddings = 32768 }, 0,
            [1, 8.0584218776e-1, 3.1622776602e-2, 6.0294117647e-4, 7.9056941504e-6, 3.1023444019e-7], 1.1386294361 },
        { "llama3 5e5 s=8", new() { RotaryDim = 128, Type = RopeType.Llama3, Factor = 8, Base = 5e5, OriginalMaxPositionEmbeddings = 8192 }, 0,
            [1, 8.1461723386e-1, 3.7606030931e-2, 5.2484616099e-4, 6.6478698712e-6, 3.0689259889e-7], 1 },
        { "llama3 1e4 s=8", new() { RotaryDim = 128, Type = RopeType.Llama3, Factor = 8, OriginalMaxPositionEmbeddings = 8192 }, 0,
            [1, 8.6596432336e-1, 1.0e-1, 1.0e-2, 2.1360754403e-4, 1.4434774809e-5], 1 },
        { "llama3.2 s=32", new() { RotaryDim = 128, Type = RopeType.Llama3, Factor = 32, Base = 5e5, OriginalMaxPositionEmbeddings = 8192 }, 0,
            [1, 8.1461723386e-1, 3.7606030931e-2, 4.2955679656e-4, 1.6619674678e-6, 7.6723149723e-8], 1 },
        { "ntk-mixed 8 b=0.625", new() { RotaryDim = 128, Type = RopeType.NtkMixed, Factor = 8, MixedExponent = 0.625 }, 0,
            [8.5679600952e-1, 6.8231175557e-1, 4.0330565768e-2, 2.5295748048e-3, 1.7208383043e-4, 1.4434774809e-5], 1 },
        { "ntk-mixed 12 b=0.75", new() { RotaryDim = 128, Type = RopeType.NtkMixed, Factor = 12, MixedExponent = 0.75 }, 0,
            [8.9599683676e-1, 7.1992851252e-1, 3.9875207075e-2, 2.2046187453e-3, 1.3082886759e-4, 9.6231832057e-6], 1 },
    };

    [SkippableTheory]
    [MemberData(nameof(Vectors))]
    public void InverseFrequencies_MatchTheReferenceVectors(string name, RopeParameters p, int sequenceLength, double[] expected, double attention)
    {
        var (theta, factor) = RopeFrequencies.Compute(p, sequenceLength);
        Assert.Equal(64, theta.Length);
        int[] at = [0, 1, 16, 32, 48, 63];
        for (int k = 0; k < at.Length; k++) Close(expected[k], theta[at[k]], 1e-9);
        Close(attention, factor, 1e-9);
        Assert.NotNull(name);
    }

    [SkippableFact]
    public void DeepSeekYarn_RopeDims_MatchTheReference()
    {
        var p = new RopeParameters { RotaryDim = 64, Type = RopeType.Yarn, Factor = 40, MaxPositionEmbeddings = 4096, Mscale = 1, MscaleAllDim = 1 };
        var (theta, attention) = RopeFrequencies.Compute(p);
        Close(1, theta[0]);
        Close(7.4989420933e-1, theta[1]);
        Close(1.0e-1, theta[8]);
        Close(5.5e-3, theta[16]);
        Close(2.5e-5, theta[24]);
        Close(1, attention);
        Close(1.8738542071, Math.Pow(RopeFrequencies.YarnMscale(40, 1), 2));
    }

    [SkippableFact]
    public void LongRope_SwitchesFactorsAboveTheOriginalLength_AndItsAttentionFactor()
    {
        var shortF = Enumerable.Repeat(1.0, 48).ToArray();
        var longF = Enumerable.Range(0, 48).Select(i => 1 + i / 10.0).ToArray();
        var p = new RopeParameters { RotaryDim = 96, Type = RopeType.LongRope, MaxPositionEmbeddings = 131072, OriginalMaxPositionEmbeddings = 4096, ShortFactor = shortF, LongFactor = longF };
        var (atLength, attention) = RopeFrequencies.Compute(p, 4096);
        var (beyond, _) = RopeFrequencies.Compute(p, 4097);
        Assert.Equal(RopeFrequencies.Default(1e4, 96), atLength);
        Close(RopeFrequencies.Default(1e4, 96)[10] / 2.0, beyond[10]);
        Close(1.1902380714, attention);
    }

    [SkippableFact]
    public void LogN_MatchesTheReference()
    {
        Assert.Equal(1, PositionScaling.LogN(4095, 4096));
        Close(1.0000293481, PositionScaling.LogN(4096, 4096));
        Close(1.0833333333, PositionScaling.LogN(8191, 4096));
        Close(1.1666666667, PositionScaling.LogN(16383, 4096));
        Close(1.25, PositionScaling.LogN(32767, 4096));
        Assert.Equal(1, PositionScaling.LogN(0, 4096));
    }

    [SkippableFact]
    public void Rotation_MatchesTheReference_InBothLayouts()
    {
        double[] theta = [1, 0.1, 0.01, 0.001];
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        double[] interleaved = [.. x], half = [.. x];
        new RotaryEmbedding(theta, 1, RopeLayout.Interleaved).Rotate<double>(interleaved, 3);
        new RotaryEmbedding(theta, 1, RopeLayout.HalfSplit).Rotate<double>(half, 3);
        double[] expectedI = [-1.2722325127, -1.8388649851, 1.6839286407, 4.7079065765, 4.8177771675, 6.1472777035, 6.9759685360, 8.0209639685];
        double[] expectedH = [-1.6955925369, 0.1375517383, 2.7886815998, 3.9759820360, -4.8088424749, 6.3230593481, 7.0868367369, 8.0119639820];
        for (int k = 0; k < 8; k++)
        {
            Assert.InRange(interleaved[k] - expectedI[k], -1e-9, 1e-9); // the reference gives 10 decimals
            Assert.InRange(half[k] - expectedH[k], -1e-9, 1e-9);
        }
    }

    [SkippableFact]
    public void RelativeProperty_MatchesTheReferenceScores()
    {
        double[] theta = [1, 0.1, 0.01, 0.001];
        double[] q = [0.3, -1.2, 0.5, 2.0, -0.7, 0.1, 1.5, -0.4], k = [1.1, 0.2, -0.3, 0.8, 0.6, -1.0, 0.0, 0.9];
        foreach (var (layout, expected) in new[] { (RopeLayout.Interleaved, 0.929887118826), (RopeLayout.HalfSplit, 1.356982650402) })
        {
            var rope = new RotaryEmbedding(theta, 1, layout);
            foreach (var (m, n) in new[] { (10, 7), (103, 100), (3, 0) })
            {
                double[] rq = [.. q], rk = [.. k];
                rope.Rotate<double>(rq, m);
                rope.Rotate<double>(rk, n);
                Assert.Equal(expected, rq.Zip(rk, (a, b) => a * b).Sum(), 10);
            }
        }
    }

    private static void CheckProperty<T>(Gen<T> gen, Func<T, bool> property)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(300)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261123, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Arb.From(gen), property));
    }

    private static Gen<double[]> Vector(int d) => Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(v => v / 100.0), d);

    [SkippableFact]
    public void Rotation_PreservesNorm_IsInvertible_AndDependsOnlyOnRelativePosition()
    {
        var gen = from q in Vector(16) from k in Vector(16) from m in Gen.Choose(0, 5000) from n in Gen.Choose(0, 5000) from interleaved in Gen.Elements(true, false)
                  select (q, k, m, n, layout: interleaved ? RopeLayout.Interleaved : RopeLayout.HalfSplit);
        var rope16 = RopeFrequencies.Default(1e4, 16);
        CheckProperty(gen, x =>
        {
            var rope = new RotaryEmbedding(rope16, 1, x.layout);
            double[] rq = [.. x.q], rk = [.. x.k];
            rope.Rotate<double>(rq, x.m);
            rope.Rotate<double>(rk, x.n);
            double dot = rq.Zip(rk, (a, b) => a * b).Sum();
            double[] rel = [.. x.q];
            rope.Rotate<double>(rel, x.m - x.n);
            double relDot = rel.Zip(x.k, (a, b) => a * b).Sum();
            double norm = Math.Sqrt(x.q.Sum(v => v * v)), rotatedNorm = Math.Sqrt(rq.Sum(v => v * v));
            double[] back = [.. rq];
            rope.Rotate<double>(back, -x.m);
            return Math.Abs(dot - relDot) < 1e-9 * (1 + Math.Abs(dot)) && Math.Abs(norm - rotatedNorm) < 1e-9 * (1 + norm)
                && back.Zip(x.q).All(p => Math.Abs(p.First - p.Second) < 1e-9);
        });
    }

    [SkippableFact]
    public void Layouts_AreTheSameRotationUnderTheEvenOddPermutation()
    {
        var gen = from x in Vector(16) from m in Gen.Choose(0, 100000) select (x, m);
        var theta = RopeFrequencies.Default(5e5, 16);
        CheckProperty(gen, v =>
        {
            double[] interleaved = [.. v.x];
            new RotaryEmbedding(theta, 1, RopeLayout.Interleaved).Rotate<double>(interleaved, v.m);
            // P gathers even indices, then odd ones.
            double[] permuted = [.. Enumerable.Range(0, 8).Select(i => v.x[2 * i]), .. Enumerable.Range(0, 8).Select(i => v.x[2 * i + 1])];
            new RotaryEmbedding(theta, 1, RopeLayout.HalfSplit).Rotate<double>(permuted, v.m);
            return Enumerable.Range(0, 8).All(i => Math.Abs(permuted[i] - interleaved[2 * i]) < 1e-12 && Math.Abs(permuted[i + 8] - interleaved[2 * i + 1]) < 1e-12);
        });
    }

    [SkippableTheory]
    [InlineData(RopeType.Linear)]
    [InlineData(RopeType.Ntk)]
    [InlineData(RopeType.Dynamic)]
    [InlineData(RopeType.Yarn)]
    [InlineData(RopeType.Llama3)]
    [InlineData(RopeType.NtkMixed)]
    public void FactorOne_IsTheDefault(RopeType type)
    {
        var p = new RopeParameters { RotaryDim = 128, Type = type, Factor = 1, MaxPositionEmbeddings = 4096 };
        var (theta, attention) = RopeFrequencies.Compute(p, 100);
        double[] expected = RopeFrequencies.Default(1e4, 128);
        for (int i = 0; i < 64; i++) Close(expected[i], theta[i], 1e-12);
        Assert.Equal(1, attention);
    }

    [SkippableFact]
    public void Variants_KeepTheirDefiningProperties()
    {
        double[] plain = RopeFrequencies.Default(1e4, 128);
        var (ntk, _) = RopeFrequencies.Compute(new RopeParameters { RotaryDim = 128, Type = RopeType.Ntk, Factor = 8 });
        Close(plain[0], ntk[0], 1e-15);
        Close(plain[63] / 8, ntk[63], 1e-12);
        var (mixed, _) = RopeFrequencies.Compute(new RopeParameters { RotaryDim = 128, Type = RopeType.NtkMixed, Factor = 8 });
        Close(plain[63] / 8, mixed[63], 1e-12);
        var (yarn, _) = RopeFrequencies.Compute(new RopeParameters { RotaryDim = 128, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 4096 });
        for (int i = 0; i <= 20; i++) Assert.Equal(plain[i], yarn[i]);
        for (int i = 46; i < 64; i++) Close(plain[i] / 4, yarn[i], 1e-15);
        foreach (var type in new[] { RopeType.Linear, RopeType.Ntk, RopeType.Yarn, RopeType.Llama3, RopeType.NtkMixed })
        {
            var (theta, _) = RopeFrequencies.Compute(new RopeParameters { RotaryDim = 128, Type = type, Factor = 8, MaxPositionEmbeddings = 4096, OriginalMaxPositionEmbeddings = 4096 });
            for (int i = 1; i < 64; i++) Assert.True(theta[i] < theta[i - 1], $"{type}: not decreasing at {i}");
        }
    }

    [SkippableFact]
    public void LeakyReRope_IsMonotone_AndTheIdentityInsideTheWindow()
    {
        for (int r = 0; r < 3000; r++)
        {
            double mapped = PositionScaling.LeakyReRope(r, 1024, 16);
            if (r < 1024) Assert.Equal(r, mapped);
            Assert.True(mapped >= PositionScaling.LeakyReRope(r - 1, 1024, 16));
            Assert.Equal(Math.Min(r, 1024), PositionScaling.ReRope(r, 1024));
        }
    }

    [SkippableFact]
    public void HuggingFaceConfigs_AreRead_V4AndV5()
    {
        var llama31 = RopeParameters.FromHuggingFaceConfig("""
            { "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 131072, "rope_theta": 500000.0,
              "rope_scaling": { "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3" } }
            """);
        Assert.Equal(RopeType.Llama3, llama31.Type);
        Assert.Equal(128, llama31.RotaryDim);
        Assert.Equal(8192, llama31.OriginalLength);
        Close(5.2484616099e-4, RopeFrequencies.Compute(llama31).InverseFrequencies[32]);

        var v5 = RopeParameters.FromHuggingFaceConfig("""
            { "head_dim": 128, "max_position_embeddings": 32768, "partial_rotary_factor": 0.5,
              "rope_parameters": { "rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0, "original_max_position_embeddings": 32768 } }
            """);
        Assert.Equal(RopeType.Yarn, v5.Type);
        Assert.Equal(64, v5.RotaryDim);
        Assert.Equal(1e6, v5.Base);

        var legacy = RopeParameters.FromHuggingFaceConfig("""{ "head_dim": 64, "rope_scaling": { "type": "linear", "factor": 2 } }""");
        Assert.Equal(RopeType.Linear, legacy.Type);
        Assert.Throws<FormatException>(() => RopeParameters.FromHuggingFaceConfig("""{ "head_dim": 64, "rope_scaling": { "type": "bogus" } }"""));
        Assert.Throws<FormatException>(() => RopeParameters.FromHuggingFaceConfig("{ not json"));
        Assert.Throws<FormatException>(() => RopeParameters.FromHuggingFaceConfig("""{ "rope_theta": 10000 }"""));
    }

    [SkippableFact]
    public void BufferRotation_EqualsPerHeadRotation_AndPartialRotaryLeavesTheRestAlone()
    {
        var rope = new RotaryEmbedding(RopeFrequencies.Default(1e4, 4), 1.5, RopeLayout.HalfSplit); // rotary dim 4 of head dim 6
        float[] buffer = Enumerable.Range(0, 2 * 3 * 6).Select(i => (float)Math.Sin(i)).ToArray();
        float[] expected = [.. buffer];
        long[] positions = [5, 900];
        rope.Rotate<float>(buffer, positions, heads: 3, headDim: 6);
        for (int t = 0; t < 2; t++)
            for (int h = 0; h < 3; h++)
                rope.Rotate(expected.AsSpan((t * 3 + h) * 6, 6), positions[t]);
        Assert.Equal(expected, buffer);
        float[] head = [1, 2, 3, 4, 5, 6];
        rope.Rotate<float>(head, 7);
        Assert.Equal(5f, head[4]);
        Assert.Equal(6f, head[5]);
        Assert.Throws<ArgumentException>(() => rope.Rotate<float>(new float[3], 1));
    }

    [SkippableFact]
    public void Tables_HoldCosAndSinTimesTheAttentionFactor()
    {
        var rope = RotaryEmbedding.Create(new RopeParameters { RotaryDim = 8, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 64 }, RopeLayout.HalfSplit);
        var (cos, sin) = rope.Tables(100);
        Assert.Equal(400, cos.Length);
        for (int m = 0; m < 100; m += 33)
            for (int i = 0; i < 4; i++)
            {
                Assert.InRange(cos[m * 4 + i] - Math.Cos(m * rope.InverseFrequencies[i]) * rope.AttentionFactor, -1e-6, 1e-6); // stored as float
                Assert.InRange(sin[m * 4 + i] - Math.Sin(m * rope.InverseFrequencies[i]) * rope.AttentionFactor, -1e-6, 1e-6);
            }
    }
}
