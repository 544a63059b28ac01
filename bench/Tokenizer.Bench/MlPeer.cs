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
    /// <remarks>
    /// With <paramref name="sampling"/>, also our exact sampling (alpha 0.1 and 0.5, line k drawn as sentence k) against
    /// our Viterbi, both UTF-8 in and a list out (the sampling call's only shape), and the lattice kernels alone
    /// (<see cref="SentencePieceViterbi"/> against <see cref="SentencePieceSampler"/>) on the lines normalized beforehand.
    /// </remarks>
    public static void Speed(string modelPath, string[] files, int rounds, bool sampling = false)
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
            int repeats = Alternated.Repeats(data.Length);
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
            if (sampling) sides = [.. sides, .. SamplingSides(ours, data, lines)];
            var (tokenCounts, seconds) = Alternated.Time(sides, rounds, repeats);
            double mb = (double)data.Length * repeats / 1e6;
            Console.WriteLine($"  {Path.GetFileName(file)}: {data.Length / 1e6:F2} MB, {lines.Count} lines; a pass reads it {repeats} times; {rounds} rounds; {Alternated.Clock} clock");
            for (int k = 0; k < sides.Length; k++)
                Console.WriteLine($"    {sides[k].Name,-31} best {mb / seconds[k].Min(),6:F2} MB/s  median {mb / Alternated.Median(seconds[k]),6:F2} MB/s  {tokenCounts[k]} tokens");
            for (int k = 0; k < 2; k++)
            {
                var (best, median) = Alternated.Ratio(seconds, k, 2);
                Console.WriteLine($"    ratio {sides[k].Name} / ML: best {best:F2}x  median {median:F2}x");
            }
            // Sampling sides: 3 = Viterbi to a list, 4-5 sampling; 6 = Viterbi kernel, 7-8 sampler kernel.
            for (int k = 4; sampling && k < sides.Length; k++)
            {
                int viterbi = k < 6 ? 3 : 6;
                if (k == 6) continue;
                var (best, median) = Alternated.Ratio(seconds, k, viterbi);
                Console.WriteLine($"    ratio {sides[k].Name} / {sides[viterbi].Name}: best {best:F2}x  median {median:F2}x");
            }
        }
    }

    private static (string Name, Func<long> Pass)[] SamplingSides(SentencePieceTokenizer ours, byte[] data, List<(int Start, int Length)> lines)
    {
        var normalized = new NormalizedBuffer();
        byte[][] normalizedLines = [.. lines.Select(l =>
        {
            ours.Model.Normalizer.Normalize(data.AsSpan(l.Start, l.Length), normalized);
            return normalized.Bytes.ToArray();
        })];
        var scratch = new SentencePieceScratch();
        (string, Func<long>) Sample(double alpha) => ($"ours, sampling a={alpha}, to list", () =>
        {
            long tokens = 0;
            for (int k = 0; k < lines.Count; k++)
                tokens += ours.EncodeToIds(data.AsSpan(lines[k].Start, lines[k].Length), new SamplingOptions(alpha, 1, FirstChunk: k)).Count;
            return tokens;
        });
        (string, Func<long>) Sampler(double alpha) => ($"kernel: sampler a={alpha}", () =>
        {
            long tokens = 0;
            for (int k = 0; k < normalizedLines.Length; k++)
            {
                if (normalizedLines[k].Length == 0) continue;
                var rng = new SamplingOptions(alpha, 1, FirstChunk: k).RngForChunk(0);
                tokens += SentencePieceSampler.Solve(ours.Model, normalizedLines[k], scratch, alpha, rng);
            }
            return tokens;
        });
        return
        [
            ("ours, Viterbi, UTF-8 to list", () =>
            {
                long tokens = 0;
                foreach (var (start, length) in lines) tokens += ours.EncodeToIds(data.AsSpan(start, length)).Count;
                return tokens;
            }),
            Sample(0.1),
            Sample(0.5),
            ("kernel: Viterbi", () =>
            {
                long tokens = 0;
                foreach (byte[] line in normalizedLines) if (line.Length > 0) tokens += SentencePieceViterbi.Solve(ours.Model, line, scratch);
                return tokens;
            }),
            Sampler(0.1),
            Sampler(0.5),
        ];
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
