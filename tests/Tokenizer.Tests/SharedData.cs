using System.Collections.Concurrent;
using BytePiece.Testing;

namespace BytePiece.Tests;

/// <summary>The shared folder's data as tests use it; models are loaded once per test run.</summary>
internal static class SharedData
{
    private static readonly ConcurrentDictionary<string, Lazy<UnigramModel>> s_models = new();

    public static string Root => SharedFolder.Root;

    public static string BytePieceModelPath(string name) => SharedFolder.BytePieceModelPath(name);

    public static UnigramModel BytePieceModel(string name)
        => s_models.GetOrAdd(name, n => new Lazy<UnigramModel>(() => ModelFile.Load(BytePieceModelPath(n)))).Value;

    public static BytePieceTokenizer Tokenizer(string name) => new(BytePieceModel(name));

    public static byte[] Corpus(string name, int maxBytes) => SharedFolder.Corpus(name, maxBytes);

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
