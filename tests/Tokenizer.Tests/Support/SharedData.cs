using System.Collections.Concurrent;
using BytePiece.Testing;

namespace BytePiece.Tests;

/// <summary>
/// The test data as tests use it (tests/data, or the big data outside: see <see cref="SharedFolder"/>); models
/// are loaded once per test run. What is missing skips the test (see <see cref="Prerequisites"/>).
/// </summary>
internal static class SharedData
{
    private static readonly ConcurrentDictionary<string, Lazy<UnigramModel>> s_models = new();

    /// <summary>The small data in the repository (models/, golden/).</summary>
    public static string Root => SharedFolder.InRepository;

    /// <summary>A BytePiece model by file name: the 40k ones are in tests/data, the 160k one needs the big data.</summary>
    public static string BytePieceModelPath(string name)
    {
        if (!SharedFolder.HasDataFile(Path.Combine("models", "bytepiece", name))) Prerequisites.Require(Prerequisite.LargeModel);
        return SharedFolder.BytePieceModelPath(name);
    }

    public static UnigramModel BytePieceModel(string name)
    {
        string path = BytePieceModelPath(name);
        return s_models.GetOrAdd(name, _ => new Lazy<UnigramModel>(() => ModelFile.Load(path))).Value;
    }

    public static BytePieceTokenizer Tokenizer(string name) => new(BytePieceModel(name));

    public static byte[] Corpus(string name, int maxBytes)
    {
        Prerequisites.Require(Prerequisite.Corpora);
        return SharedFolder.Corpus(name, maxBytes);
    }

    /// <summary>One chunk of <paramref name="length"/> bytes: a corpus repeated, its newlines turned into spaces.</summary>
    public static byte[] LongLine(string corpus, int length)
    {
        byte[] seed = Corpus(corpus, 2 << 20);
        byte[] line = new byte[length];
        for (int i = 0; i < line.Length; i += seed.Length) seed.AsSpan(0, Math.Min(seed.Length, line.Length - i)).CopyTo(line.AsSpan(i));
        line.AsSpan().Replace((byte)'\n', (byte)' ');
        return line;
    }
}
