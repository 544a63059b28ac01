using System.Text;
using BenchmarkDotNet.Attributes;
using Ml = Microsoft.ML.Tokenizers;

namespace BytePiece.Bench;

/// <summary>
/// Microsoft.ML.Tokenizers 3.0.0's SentencePieceTokenizer and ours on the same <c>.model</c> file
/// (<c>BENCH_SPM_MODEL</c>, set by bench/compare.sh), string line in, id list out on both sides, no BOS/EOS,
/// single thread. Ours from UTF-8 into a caller buffer is <see cref="SentencePieceBenchmarks.EncodeLines"/>.
/// </summary>
[MemoryDiagnoser]
public class MlPeerBenchmarks
{
    private SentencePieceTokenizer _ours = null!;
    private Ml.SentencePieceTokenizer _ml = null!;
    private string[] _strings = [];

    [Params("mixed", "zh", "en", "code")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string model = Environment.GetEnvironmentVariable("BENCH_SPM_MODEL") ?? throw new InvalidOperationException("set BENCH_SPM_MODEL");
        _ours = SentencePieceTokenizer.Load(model);
        _ml = MlPeer.LoadMl(model, _ours.Model).Tokenizer;
        byte[] bytes = BenchData.Text(Corpus, EncodeBenchmarks.TextBytes);
        _strings = [.. MlPeer.Lines(bytes).Select(l => Encoding.UTF8.GetString(bytes, l.Start, l.Length))];
    }

    /// <summary>Ours, each line's string to a list of ids.</summary>
    [Benchmark(Baseline = true)]
    public long OursStringLines()
    {
        long tokens = 0;
        foreach (string line in _strings) tokens += _ours.EncodeToIds(line).Count;
        return tokens;
    }

    /// <summary>ML.Tokenizers, each line's string to a list of ids.</summary>
    [Benchmark]
    public long MlStringLines()
    {
        long tokens = 0;
        foreach (string line in _strings) tokens += _ml.EncodeToIds(line, addBeginningOfSentence: false, addEndOfSentence: false).Count;
        return tokens;
    }
}
