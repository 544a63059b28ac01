using BenchmarkDotNet.Attributes;

namespace BytePiece.Bench;

/// <summary>Loading models: the embedded default (parsed where the resource lies, trusted) and files from disk.</summary>
[MemoryDiagnoser]
public class ModelLoadBenchmarks
{
    private byte[] _default = [];
    private string _native160k = "";

    [GlobalSetup]
    public void Setup()
    {
        _default = DefaultModel.GetFileBytes();
        _native160k = Path.Combine(Path.GetTempPath(), "bytepiece-bench-160k.bpm");
        ModelFile.Save(ModelFile.Load(BenchData.ModelPath("bytepiece.eu.plus.160k.model")), _native160k, ModelFileFormat.Native);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_native160k);

    /// <summary>What <see cref="DefaultModel.Instance"/> does on first use.</summary>
    [Benchmark(Baseline = true)]
    public UnigramModel DefaultFromResource() => DefaultModel.Load();

    /// <summary>Parse with every check of an untrusted file (checksum, stored trie), the bytes already in memory.</summary>
    [Benchmark]
    public UnigramModel DefaultParseOnly() => NativeModelFormat.Read(_default);

    /// <summary>Upstream's 160k model converted to the native format, read from disk.</summary>
    [Benchmark]
    public UnigramModel Native160kFromFile() => ModelFile.Load(_native160k);
}
