using System.Diagnostics;

namespace BytePiece.Bench;

/// <summary>Real text and models from ../shared (beside the repository), loaded once.</summary>
internal static class BenchData
{
    public static string SharedRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln")))
                    return Path.Combine(dir.Parent!.FullName, "shared");
            throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string ModelPath(string name) => Path.Combine(SharedRoot, "models", "bytepiece", name);

    /// <summary>About <paramref name="bytes"/> bytes of a corpus ("zh", "en", "code"), or "mixed": a third of each, interleaved by line.</summary>
    public static byte[] Text(string corpus, int bytes)
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

    private static byte[] Corpus(string name, int maxBytes)
    {
        string path = Path.Combine(SharedRoot, "corpora", name + ".txt.xz");
        var psi = new ProcessStartInfo("xz", ["-dc", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(psi)!;
        var buffer = new byte[maxBytes];
        int total = 0;
        while (total < maxBytes)
        {
            int read = process.StandardOutput.BaseStream.Read(buffer, total, maxBytes - total);
            if (read == 0) break;
            total += read;
        }
        try { process.Kill(); } catch (InvalidOperationException) { }
        process.WaitForExit();
        int end = buffer.AsSpan(0, total).LastIndexOf((byte)'\n');
        return buffer.AsSpan(0, end < 0 ? total : end + 1).ToArray();
    }
}
