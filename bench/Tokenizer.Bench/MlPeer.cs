using System.Diagnostics;
using System.Reflection;
using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace BytePiece.Bench;

/// <summary>
/// Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c> as a measured peer of ours on the same <c>.model</c>
/// file: speed in one process (<c>--ml-peer</c>) and agreement with <c>spm_encode</c> line by line
/// (<c>--ml-parity</c>), each mismatch of ML's put down to the first known cause that explains it.
/// </summary>
internal static class MlPeer
{
    /// <summary>
    /// ML's tokenizer for the model, without BOS/EOS (its <c>Create(Stream)</c> adds BOS by default): from
    /// <c>Create(Stream)</c>, or where that throws, from its vocabulary overload fed with our reading of the model.
    /// </summary>
    public static (Ml.SentencePieceTokenizer Tokenizer, string How) LoadMl(string path, SentencePieceModel model)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return (Ml.SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false), "Create(Stream)");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException or KeyNotFoundException)
        {
            var vocab = new List<(string, float)>(model.VocabSize);
            for (int id = 0; id < model.VocabSize; id++) vocab.Add((model.IdToPiece(id), model.GetScore(id)));
            var tokenizer = Ml.SentencePieceTokenizer.Create(vocab, model.UnknownId, addBeginningOfSentence: false, addEndOfSentence: false,
                model.PrecompiledCharsMap.Span, model.AddDummyPrefix, model.EscapeWhitespaces, model.TreatWhitespaceAsSuffix, model.ByteFallback);
            return (tokenizer, $"vocabulary overload; Create(Stream) threw {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>The lines of a text file as spm_encode reads them (split at '\n'; no line after a final '\n').</summary>
    public static List<(int Start, int Length)> Lines(byte[] data)
    {
        var lines = new List<(int Start, int Length)>();
        for (int start = 0; start < data.Length;)
        {
            int end = data.AsSpan(start).IndexOf((byte)'\n');
            int length = end < 0 ? data.Length - start : end;
            lines.Add((start, length));
            start += length + 1;
        }
        return lines;
    }

    /// <summary>
    /// Ours (UTF-8 into a caller buffer, and string in / list out like ML) against ML (string in / list out),
    /// a sentence per line, one thread, the sides alternated <paramref name="rounds"/> times (which goes first
    /// alternates too): MB/s best and median per side, and ours/ML as best over best and the median of the
    /// rounds' ratios, since this machine's speed moves between minutes.
    /// </summary>
    public static void Speed(string modelPath, string[] files, int rounds)
    {
        var ours = SentencePieceTokenizer.Load(modelPath);
        var (ml, how) = LoadMl(modelPath, ours.Model);
        var create = typeof(Ml.SentencePieceTokenizer).GetMethods().First(m => m.Name == "Create" && m.GetParameters()[0].ParameterType == typeof(Stream));
        Console.WriteLine($"{Path.GetFileName(modelPath)}: ML.Tokenizers {typeof(Ml.Tokenizer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]} loaded by {how}; Create(Stream)'s defaults: "
            + string.Join(", ", create.GetParameters().Skip(1).Select(p => $"{p.Name} = {p.DefaultValue ?? "null"}")) + " (here both false)");
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            List<(int Start, int Length)> lines = Lines(data);
            string[] strings = [.. lines.Select(l => Encoding.UTF8.GetString(data, l.Start, l.Length))];
            var ids = new int[lines.Max(l => l.Length) * 4 + 8];
            // A pass reads a small text several times, so that it lasts long enough (about 4 MB) to time.
            int repeats = Math.Max(1, (int)Math.Ceiling(4e6 / data.Length));
            var sides = new (string Name, Func<long> Pass)[]
            {
                ("ours, UTF-8 into a buffer", () =>
                {
                    long tokens = 0;
                    foreach (var (start, length) in lines)
                    {
                        ours.EncodeToIds(data.AsSpan(start, length), ids, out int written);
                        tokens += written;
                    }
                    return tokens;
                }),
                ("ours, string to list", () =>
                {
                    long tokens = 0;
                    foreach (string line in strings) tokens += ours.EncodeToIds(line).Count;
                    return tokens;
                }),
                ("ML.Tokenizers, string to list", () =>
                {
                    long tokens = 0;
                    foreach (string line in strings) tokens += ml.EncodeToIds(line, addBeginningOfSentence: false, addEndOfSentence: false).Count;
                    return tokens;
                }),
            };
            var seconds = sides.Select(_ => new List<double>()).ToArray();
            var tokenCounts = sides.Select(s => s.Pass()).ToArray(); // warm-up (JIT tiers, caches)
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < sides.Length; k++)
                {
                    int side = round % 2 == 0 ? k : sides.Length - 1 - k;
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < repeats; r++) sides[side].Pass();
                    seconds[side].Add(sw.Elapsed.TotalSeconds);
                }
            }
            double mb = (double)data.Length * repeats / 1e6;
            Console.WriteLine($"  {Path.GetFileName(file)}: {data.Length / 1e6:F2} MB, {lines.Count} lines; a pass reads it {repeats} times; {rounds} rounds");
            for (int k = 0; k < sides.Length; k++)
                Console.WriteLine($"    {sides[k].Name,-31} best {mb / seconds[k].Min(),6:F2} MB/s  median {mb / Median(seconds[k]),6:F2} MB/s  {tokenCounts[k]} tokens");
            for (int k = 0; k < 2; k++)
            {
                double best = seconds[2].Min() / seconds[k].Min();
                double median = Median([.. Enumerable.Range(0, rounds).Select(r => seconds[2][r] / seconds[k][r])]);
                Console.WriteLine($"    ratio {sides[k].Name} / ML: best {best:F2}x  median {median:F2}x");
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// Encodes every line with ours and ML (no BOS/EOS) and with <c>spm_encode --output_format=id</c>, counts the
    /// lines each gets different from spm_encode and sorts ML's by cause; prints a markdown row per text
    /// and one example line per cause.
    /// </summary>
    public static void Parity(string modelPath, string[] files)
    {
        var ours = SentencePieceTokenizer.Load(modelPath);
        var (ml, how) = LoadMl(modelPath, ours.Model);
        Console.WriteLine($"{Path.GetFileName(modelPath)}: ML loaded by {how}; vocab {ours.Model.VocabSize}, byte_fallback {ours.Model.ByteFallback}, normalizer {ours.Model.NormalizerName}");
        var classifier = new MismatchCauses(ours, ml);
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            List<(int Start, int Length)> lines = Lines(data);
            string[] expected = SpmEncode(modelPath, file);
            if (expected.Length != lines.Count) throw new InvalidOperationException($"spm_encode wrote {expected.Length} lines for {lines.Count}");
            int oursWrong = 0, mlWrong = 0;
            var causes = new SortedDictionary<string, (int Count, int FirstLine)>();
            for (int i = 0; i < lines.Count; i++)
            {
                int[] spm = [.. expected[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
                byte[] utf8 = data[lines[i].Start..(lines[i].Start + lines[i].Length)];
                if (!ours.EncodeToIds(utf8).SequenceEqual(spm)) oursWrong++;
                string line = Encoding.UTF8.GetString(utf8);
                int[] mlIds = [.. ml.EncodeToIds(line, addBeginningOfSentence: false, addEndOfSentence: false)];
                if (mlIds.AsSpan().SequenceEqual(spm)) continue;
                mlWrong++;
                string cause = classifier.Classify(line, mlIds, spm);
                causes[cause] = causes.TryGetValue(cause, out var c) ? (c.Count + 1, c.FirstLine) : (1, i + 1);
            }
            Console.WriteLine($"| {Path.GetFileName(modelPath)} | {Path.GetFileName(file)} | {lines.Count} | {oursWrong} | {mlWrong} | "
                + (causes.Count == 0 ? "—" : string.Join("; ", causes.Select(c => $"{c.Key} {c.Value.Count}"))) + " |");
            foreach (var (cause, (_, first)) in causes)
            {
                string line = Encoding.UTF8.GetString(data, lines[first - 1].Start, lines[first - 1].Length);
                var mlTokens = ml.EncodeToTokens(line, out _, addBeginningOfSentence: false, addEndOfSentence: false);
                Console.WriteLine($"    e.g. line {first} ({cause}): {Escape(line, 60)}\n      spm {Shorten(expected[first - 1])}\n      ML  {Shorten(string.Join(' ', mlTokens.Select(t => t.Id)))}"
                    + $"\n      ML pieces {Escape(Shorten(string.Join(' ', mlTokens.Select(t => t.Value))), 160)}");
            }
        }
    }

    private static string[] SpmEncode(string modelPath, string file)
    {
        var start = new ProcessStartInfo("spm_encode", ["--model", modelPath, "--output_format=id", "--input", file])
        {
            RedirectStandardOutput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("spm_encode did not start");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"spm_encode exited with {process.ExitCode}");
        string[] result = output.Split('\n');
        return result.Length > 0 && result[^1].Length == 0 ? result[..^1] : result;
    }

    private static string Shorten(string s) => s.Length <= 160 ? s : s[..160] + " …";

    private static string Escape(string s, int max)
    {
        var sb = new StringBuilder();
        foreach (char c in s.Length <= max ? s : s[..max])
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        return s.Length <= max ? sb.ToString() : sb + "…";
    }
}
