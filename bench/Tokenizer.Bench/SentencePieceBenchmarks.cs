using System.Text;
using BenchmarkDotNet.Attributes;

namespace BytePiece.Bench;

/// <summary>
/// A SentencePiece model and the tokenizer.json written from it, one sentence per line (as spm_encode, the
/// Python binding and HF tokenizers read the benchmark texts), single thread. The model paths come from
/// <c>BENCH_SPM_MODEL</c> and <c>BENCH_TOKENIZER_JSON</c> (bench/compare.sh sets them). MB/s = bytes / mean time.
/// </summary>
[MemoryDiagnoser]
public class SentencePieceBenchmarks
{
    private SentencePieceTokenizer _spm = null!;
    private HuggingFaceTokenizer _hf = null!;
    private byte[] _bytes = [];
    private (int Start, int Length)[] _lines = [];
    private string[] _strings = [];
    private int[] _ids = [];

    [Params("mixed", "zh", "en", "code")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string model = Environment.GetEnvironmentVariable("BENCH_SPM_MODEL") ?? throw new InvalidOperationException("set BENCH_SPM_MODEL");
        string json = Environment.GetEnvironmentVariable("BENCH_TOKENIZER_JSON") ?? throw new InvalidOperationException("set BENCH_TOKENIZER_JSON");
        _spm = SentencePieceTokenizer.Load(model);
        _hf = HuggingFaceTokenizer.Load(json);
        _bytes = BenchData.Text(Corpus, EncodeBenchmarks.TextBytes);
        var lines = new List<(int, int)>();
        for (int start = 0; start <= _bytes.Length;)
        {
            int end = _bytes.AsSpan(start).IndexOf((byte)'\n');
            int length = end < 0 ? _bytes.Length - start : end;
            lines.Add((start, length));
            start += length + 1;
        }
        _lines = [.. lines];
        _strings = [.. _lines.Select(l => Encoding.UTF8.GetString(_bytes, l.Start, l.Length))];
        _ids = new int[_lines.Max(l => l.Length) * 4 + 8];
    }

    /// <summary>spm's Viterbi, UTF-8 line in, ids into a caller buffer.</summary>
    [Benchmark(Baseline = true)]
    public long EncodeLines()
    {
        long tokens = 0;
        foreach (var (start, length) in _lines)
        {
            _spm.EncodeToIds(_bytes.AsSpan(start, length), _ids, out int written);
            tokens += written;
        }
        return tokens;
    }

    /// <summary>Exact sampling from exp(0.1 score) / Z, line k seeded as sentence k.</summary>
    [Benchmark]
    public long SampleLines()
    {
        long tokens = 0;
        for (int k = 0; k < _lines.Length; k++)
            tokens += _spm.EncodeToIds(_bytes.AsSpan(_lines[k].Start, _lines[k].Length), new SamplingOptions(0.1, 1, FirstChunk: k)).Count;
        return tokens;
    }

    /// <summary>The tokenizer.json twin through HuggingFace's pipeline (string line in, ids out).</summary>
    [Benchmark]
    public long EncodeLinesTokenizerJson()
    {
        long tokens = 0;
        foreach (string line in _strings) tokens += _hf.EncodeToIds(line).Count;
        return tokens;
    }
}
