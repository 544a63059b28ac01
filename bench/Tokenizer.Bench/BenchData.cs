using BytePiece.Testing;

namespace BytePiece.Bench;

/// <summary>Real text and models from ../shared (beside the repository).</summary>
internal static class BenchData
{
    public static string ModelPath(string name) => SharedFolder.BytePieceModelPath(name);

    /// <summary>The corpora every benchmark reads.</summary>
    public static readonly string[] Corpora = ["mixed", "zh", "en", "code"];

    /// <summary>
    /// About <paramref name="bytes"/> bytes of a corpus ("zh", "en", "code"), or "mixed": a third of each,
    /// interleaved by line. With <c>BENCH_TEXT_DIR</c> set and holding <c>CORPUS.txt</c> (written by
    /// <c>--texts</c>), that file: so in-process benchmarks, the CLI and the peers read the same bytes.
    /// </summary>
    public static byte[] Text(string corpus, int bytes)
    {
        if (Environment.GetEnvironmentVariable("BENCH_TEXT_DIR") is { Length: > 0 } dir && File.Exists(Path.Combine(dir, corpus + ".txt")))
            return File.ReadAllBytes(Path.Combine(dir, corpus + ".txt"));
        return Make(corpus, bytes);
    }

    /// <summary>Writes the texts of every corpus to <paramref name="dir"/> (for the peers and the CLI).</summary>
    public static void WriteTexts(string dir, int bytes)
    {
        Directory.CreateDirectory(dir);
        foreach (string corpus in Corpora) File.WriteAllBytes(Path.Combine(dir, corpus + ".txt"), Make(corpus, bytes));
    }

    private static byte[] Make(string corpus, int bytes)
    {
        if (corpus != "mixed") return Corpus(corpus, bytes);
        var parts = new[] { "zh", "en", "code" }.Select(c => SplitLines(Corpus(c, bytes / 3))).ToArray();
        var result = new MemoryStream(bytes + 4096);
        for (int i = 0; parts.Any(p => i < p.Count); i++)
            foreach (var p in parts)
                if (i < p.Count) result.Write(p[i]);
        return result.ToArray();
    }

    private static List<byte[]> SplitLines(byte[] text)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != (byte)'\n') continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    private static byte[] Corpus(string name, int maxBytes) => SharedFolder.Corpus(name, maxBytes);
}
