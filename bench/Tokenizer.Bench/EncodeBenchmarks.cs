using System.Text;
using BenchmarkDotNet.Attributes;

namespace BytePiece.Bench;

/// <summary>Single-thread encode throughput (Viterbi and sampling) on real text (~4.19 MB per corpus). MB/s = bytes / mean time.</summary>
[MemoryDiagnoser]
public class EncodeBenchmarks
{
    public const int TextBytes = 4 << 20;

    private BytePieceTokenizer _tokenizer = null!;
    private byte[] _bytes = [];
    private string _text = "";
    private int[] _ids = [];

    /// <summary>Upstream's models <c>bytepiece.{Model}.model</c> (short names: BenchmarkDotNet abbreviates long parameter values in its reports).</summary>
    [Params("eu.plus.40k", "eu.plus.160k")]
    public string Model { get; set; } = "";

    [Params("mixed", "zh", "en", "code")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = new BytePieceTokenizer(ModelFile.Load(BenchData.ModelPath($"bytepiece.{Model}.model")));
        _bytes = BenchData.Text(Corpus, TextBytes);
        _text = Encoding.UTF8.GetString(_bytes);
        _ids = new int[_bytes.Length + 2];
    }

    /// <summary>Bytes in, ids into a caller buffer: the engine alone.</summary>
    [Benchmark(Baseline = true)]
    public int EncodeBytes()
    {
        _tokenizer.EncodeBytes(_bytes, _ids, out _, out int written);
        return written;
    }

    /// <summary>Subword regularization: an exact draw from P^0.1 / Z, bytes in, ids into a caller buffer.</summary>
    [Benchmark]
    public int SampleBytes()
    {
        _tokenizer.EncodeBytes(_bytes, _ids, out _, out int written, sampling: new SamplingOptions(0.1, 42));
        return written;
    }

    /// <summary>A string in (NFC check, UTF-8 transcoding), a list of ids out.</summary>
    [Benchmark]
    public int EncodeToIds() => _tokenizer.EncodeToIds(_text).Count;
}
