using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Running;

namespace BytePiece.Bench;

internal static class Program
{
    /// <summary>
    /// <c>dotnet run -c Release --project bench/Tokenizer.Bench -- --filter '*'</c> runs BenchmarkDotNet;
    /// <c>-- --quick</c> prints a rough MB/s table in seconds (for iterating, not for RESULTS.md);
    /// <c>-- --texts DIR</c> writes the benchmark texts for the peers (bench/compare.sh);
    /// <c>-- --ml-peer MODEL TEXT... [--rounds N] [--sampling]</c> times Microsoft.ML.Tokenizers' SentencePieceTokenizer against ours,
    /// alternated in this process (with <c>--sampling</c>, our sampling at alpha 0.1 and 0.5 against our Viterbi too); <c>-- --ml-parity MODEL TEXT...</c> counts each one's lines that differ from
    /// <c>spm_encode</c>, ML's by cause (bench/ml-peer.sh runs both on every model).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args is ["--quick", ..])
        {
            Quick();
            return;
        }
        if (args is ["--spm", string model, .. var files])
        {
            SentencePiece(model, files);
            return;
        }
        if (args is ["--spm-encode", string spmModel, string spmFile, .. var rest])
        {
            SentencePieceEncodeOnly(spmModel, spmFile, rest.Length > 0 ? int.Parse(rest[0]) : 20,
                rest.Length > 1 ? double.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : -1);
            return;
        }
        if (args is ["--spm-steps", string stepsModel, .. var stepsFiles])
        {
            SentencePieceSteps(stepsModel, stepsFiles);
            return;
        }
        if (args is ["--ml-peer", string mlModel, .. var mlArgs])
        {
            var mlFiles = mlArgs.ToList();
            int rounds = 7, at = mlFiles.IndexOf("--rounds");
            if (at >= 0)
            {
                rounds = int.Parse(mlFiles[at + 1]);
                mlFiles.RemoveRange(at, 2);
            }
            bool sampling = mlFiles.Remove("--sampling");
            MlPeer.Speed(mlModel, [.. mlFiles], rounds, sampling);
            return;
        }
        if (args is ["--ml-parity", string parityModel, .. var parityFiles])
        {
            MlPeer.Parity(parityModel, parityFiles);
            return;
        }
        if (args is ["--texts", string dir])
        {
            BenchData.WriteTexts(dir, EncodeBenchmarks.TextBytes);
            return;
        }
        if (args is ["--viterbi", ..])
        {
            ViterbiOnly(args.Length > 1 ? int.Parse(args[1]) : 8);
            return;
        }
        if (args is ["--engine", string engineFile, .. var engineRest])
        {
            EngineOnFile(engineFile, engineRest.Length > 0 ? engineRest[0] : null, engineRest.Length > 1 ? int.Parse(engineRest[1]) : 3);
            return;
        }
        if (args is ["--stream-memory", string memoryFile, string memoryThreads])
        {
            StreamMemory(memoryFile, int.Parse(memoryThreads));
            return;
        }
        if (args is ["--stats", ..])
        {
            Stats();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    /// <summary>Trie size and lattice work per input byte (trie steps), to see where the time goes.</summary>
    private static void Stats()
    {
        foreach (string model in new[] { "bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model" })
        {
            UnigramModel m = ModelFile.Load(BenchData.ModelPath(model));
            TrieNode[] nodes = m.Trie.Nodes;
            int used = nodes.Count(n => n.Check != -1);
            Console.WriteLine($"{model}: {nodes.Length} cells ({nodes.Length * 8 / 1024} KiB), {used} used, {m.Trie.PieceAt.Count(p => p >= 0)} pieces");
            foreach (string corpus in new[] { "mixed", "zh", "en", "code" })
            {
                byte[] text = BenchData.Text(corpus, 1 << 20);
                long steps = 0, matches = 0;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < text.Length; i++)
                {
                    int node = PieceTrie.Root;
                    for (int j = i; j < text.Length; j++)
                    {
                        int t = nodes[node].Base + text[j];
                        if (nodes[t].Check != node) break;
                        node = t;
                        steps++;
                        if (m.Trie.PieceAt[t] >= 0) matches++;
                    }
                }
                double walkNs = sw.Elapsed.TotalNanoseconds / text.Length;
                Console.WriteLine($"  {corpus,-6} trie steps/byte {(double)steps / text.Length:F2}, matches/byte {(double)matches / text.Length:F2}, trie walks alone {walkNs:F1} ns/byte");
            }
        }
    }

    /// <summary>
    /// A SentencePiece model on text files, a sentence per line (as spm_encode and the peer script read
    /// them): MB/s of the best of 5 runs and the token count, for bench/spm-compare.sh.
    /// </summary>
    private static void SentencePiece(string modelPath, string[] files)
    {
        var sw = Stopwatch.StartNew();
        var tokenizer = SentencePieceTokenizer.Load(modelPath);
        long first = sw.ElapsedMilliseconds;
        sw.Restart();
        SentencePieceTokenizer.Load(modelPath);
        Console.WriteLine($"loaded {Path.GetFileName(modelPath)} in {first} ms (again, warm: {sw.ElapsedMilliseconds} ms); lattice tries: bytes {tokenizer.Model.Trie.CellCount * 8 / 1024} KiB ({tokenizer.Model.Trie.Nodes.Count(c => c.Check != -1)} used), characters {tokenizer.Model.CharTrie?.CellCount * 8 / 1024} KiB ({tokenizer.Model.CharTrie?.Nodes.Count(c => c.Check != -1)} used, alphabet {tokenizer.Model.Chars?.Size})");
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            List<(int Start, int Length)> lines = Lines(data);
            var ids = new int[lines.Max(l => l.Length) * 4 + 8];
            long tokens = 0;
            double best = double.MaxValue;
            for (int run = 0; run < 6; run++)
            {
                sw.Restart();
                tokens = 0;
                foreach (var (start, length) in lines)
                {
                    tokenizer.EncodeToIds(data.AsSpan(start, length), ids, out int written);
                    tokens += written;
                }
                if (run > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            var normalized = new NormalizedBuffer();
            double bestNormalize = double.MaxValue;
            for (int run = 0; run < 4; run++)
            {
                sw.Restart();
                foreach (var (start, length) in lines) tokenizer.Model.Normalizer.Normalize(data.AsSpan(start, length), normalized);
                if (run > 0) bestNormalize = Math.Min(bestNormalize, sw.Elapsed.TotalSeconds);
            }
            var normalizedLines = lines.Select(l =>
            {
                tokenizer.Model.Normalizer.Normalize(data.AsSpan(l.Start, l.Length), normalized);
                return normalized.Bytes.ToArray();
            }).ToList();
            var scratch = new SentencePieceScratch();
            double bestViterbi = double.MaxValue;
            for (int run = 0; run < 4; run++)
            {
                sw.Restart();
                foreach (byte[] line in normalizedLines) if (line.Length > 0) SentencePieceViterbi.Solve(tokenizer.Model, line, scratch);
                if (run > 0) bestViterbi = Math.Min(bestViterbi, sw.Elapsed.TotalSeconds);
            }
            double bestSample = double.MaxValue;
            for (int run = 0; run < 3; run++)
            {
                sw.Restart();
                for (int k = 0; k < lines.Count; k++)
                    tokenizer.EncodeToIds(data.AsSpan(lines[k].Start, lines[k].Length), new SamplingOptions(0.1, 1, FirstChunk: k));
                if (run > 0) bestSample = Math.Min(bestSample, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"{Path.GetFileNameWithoutExtension(file),-6} {data.Length / 1e6 / best,7:F2} MB/s  {tokens} tokens  {(double)data.Length / tokens:F2} bytes/token"
                + $"  sampling {data.Length / 1e6 / bestSample:F2} MB/s  (alone: normalizer {data.Length / 1e6 / bestNormalize:F1} MB/s, lattice {data.Length / 1e6 / bestViterbi:F1} MB/s of input)");
        }
    }

    private static List<(int Start, int Length)> Lines(byte[] data)
    {
        var lines = new List<(int Start, int Length)>();
        for (int start = 0; start <= data.Length;)
        {
            int end = data.AsSpan(start).IndexOf((byte)'\n');
            int length = end < 0 ? data.Length - start : end;
            lines.Add((start, length));
            start += length + 1;
        }
        return lines;
    }

    /// <summary>
    /// Only spm's encode of each line, <paramref name="runs"/> times (to profile: nothing else runs); prints each run's MB/s.
    /// With <paramref name="alpha"/> &gt;= 0, draws (line k as sentence k) instead of Viterbi.
    /// </summary>
    private static readonly int ProbeCalls = int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROBE_CALLS"), out int calls) ? calls : 1_000_000;

    private static void SentencePieceEncodeOnly(string modelPath, string file, int runs, double alpha)
    {
        var tokenizer = SentencePieceTokenizer.Load(modelPath);
        byte[] data = File.ReadAllBytes(file);
        List<(int Start, int Length)> lines = Lines(data);
        var ids = new int[lines.Max(l => l.Length) * 4 + 8];
        for (int run = 0; run < runs; run++)
        {
            var sw = Stopwatch.StartNew();
            if (alpha >= 0)
                for (int k = 0; k < lines.Count; k++) tokenizer.EncodeToIds(data.AsSpan(lines[k].Start, lines[k].Length), new SamplingOptions(alpha, 1, FirstChunk: k));
            else
                foreach (var (start, length) in lines) tokenizer.EncodeToIds(data.AsSpan(start, length), ids, out _);
            Console.Write($" {data.Length / 1e6 / sw.Elapsed.TotalSeconds:F1}");
        }
        Console.WriteLine(" MB/s");
        if (alpha >= 0) return;
        // The fixed cost of a call, and how it grows with the line.
        foreach (string probe in new[] { "a", "hello", "hello world, this is a line of forty bytes" })
        {
            byte[] line = Encoding.UTF8.GetBytes(probe);
            double bestProbe = double.MaxValue;
            for (int run = 0; run < 5; run++)
            {
                var sw = Stopwatch.StartNew();
                for (int k = 0; k < ProbeCalls; k++) tokenizer.EncodeToIds(line, ids, out _);
                bestProbe = Math.Min(bestProbe, sw.Elapsed.TotalNanoseconds / ProbeCalls);
            }
            Console.WriteLine($"  \"{probe}\": {bestProbe:F0} ns per call");
        }
    }

    private struct StepCounter : ISentencePieceEdges
    {
        public long[] Counts; // starts, steps, piece ends, unknowns
        public readonly double[] CellValues(PieceTrie trie) => trie.Scores;
        public readonly bool IsPiece(double value) => value != double.NegativeInfinity;
        public readonly double Start(int start, double carried) { Counts[0]++; return 0; }
        public readonly double Step(int start, int end, int cell, double score, double here)
        {
            Counts[1]++;
            if (score != double.NegativeInfinity) Counts[2]++;
            return 0;
        }
        public readonly double Unknown(int start, int end, double here) => Counts[3]++;
    }

    private readonly struct NoEdges : ISentencePieceEdges
    {
        public double[] CellValues(PieceTrie trie) => trie.Scores;
        public bool IsPiece(double value) => value != double.NegativeInfinity;
        public double Start(int start, double carried) => 0;
        public double Step(int start, int end, int cell, double score, double here) => 0;
        public double Unknown(int start, int end, double here) => 0;
    }

    /// <summary>The lattice walk's work per character start on each file (steps, piece ends), to see where the time goes.</summary>
    private static void SentencePieceSteps(string modelPath, string[] files)
    {
        var tokenizer = SentencePieceTokenizer.Load(modelPath);
        var normalized = new NormalizedBuffer();
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            var counter = new StepCounter { Counts = new long[4] };
            long bytes = 0;
            foreach (var (start, length) in Lines(data))
            {
                tokenizer.Model.Normalizer.Normalize(data.AsSpan(start, length), normalized);
                bytes += normalized.Length;
                SentencePieceLattice.Walk(tokenizer.Model, normalized.Bytes, counter, SentencePieceWalk.Bytes);
            }
            long[] c = counter.Counts;
            var lines = Lines(data).Select(l => { tokenizer.Model.Normalizer.Normalize(data.AsSpan(l.Start, l.Length), normalized); return normalized.Bytes.ToArray(); }).ToList();
            double bestWalk = double.MaxValue, bestViterbi = double.MaxValue;
            var scratch = new SentencePieceScratch();
            for (int run = 0; run < 5; run++)
            {
                var sw = Stopwatch.StartNew();
                foreach (byte[] line in lines) SentencePieceLattice.Walk(tokenizer.Model, line, new NoEdges());
                bestWalk = Math.Min(bestWalk, sw.Elapsed.TotalNanoseconds);
                sw.Restart();
                foreach (byte[] line in lines) if (line.Length > 0) SentencePieceViterbi.Solve(tokenizer.Model, line, scratch);
                bestViterbi = Math.Min(bestViterbi, sw.Elapsed.TotalNanoseconds);
            }
            Console.WriteLine($"  walk alone {bestWalk / c[0]:F1} ns/start, Viterbi {bestViterbi / c[0]:F1} ns/start");
            if (tokenizer.Model.Normalizer.CharsMap is { } map)
                Console.WriteLine("ASCII not copied as is: " + string.Join(" ", Enumerable.Range(0, 128).Where(b => map.AsciiIdentity[b] != 1).Select(b => $"{b:X2}:{map.AsciiIdentity[b]}")));
            Console.WriteLine($"{Path.GetFileName(file)}: normalized {bytes} bytes, {c[0]} starts, steps/start {(double)c[1] / c[0]:F2}, piece ends/start {(double)c[2] / c[0]:F2}, unknowns {c[3]}");
        }
    }

    /// <summary>Only Viterbi on bytes, best of <paramref name="runs"/>: the engine's figure, for comparing two builds of the hot loop.</summary>
    private static void ViterbiOnly(int runs)
    {
        foreach (string model in new[] { "bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model" })
        {
            var tokenizer = new BytePieceTokenizer(ModelFile.Load(BenchData.ModelPath(model)));
            Console.Write($"{model[..^6],-24}");
            foreach (string corpus in new[] { "mixed", "zh", "en", "code" })
            {
                byte[] bytes = BenchData.Text(corpus, EncodeBenchmarks.TextBytes);
                var ids = new int[bytes.Length + 1];
                double best = double.MaxValue;
                for (int run = 0; run <= runs; run++)
                {
                    var sw = Stopwatch.StartNew();
                    tokenizer.EncodeBytes(bytes, ids, out _, out _);
                    if (run > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
                }
                Console.Write($" {corpus} {bytes.Length / 1e6 / best,5:F1}");
            }
            Console.WriteLine(" MB/s");
        }
    }

    /// <summary>
    /// The in-process engine on a whole file (bench/host.sh's reference for the host): the file read into memory
    /// first, then encoded by <see cref="BytePieceTokenizer.EncodeBytes(ReadOnlySpan{byte}, Span{int}, out int, out int, bool, bool, SamplingOptions?)"/>
    /// into a reused buffer of 1M ids, one thread; prints the best run's wall and thread CPU seconds, MB/s and the id count.
    /// </summary>
    private static void EngineOnFile(string file, string? modelPath, int runs)
    {
        BytePieceTokenizer tokenizer = modelPath is null or "default" ? BytePieceTokenizer.Default : (BytePieceTokenizer)TokenizerFile.Load(modelPath);
        byte[] bytes = File.ReadAllBytes(file);
        var ids = new int[1 << 20];
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        long count = 0;
        for (int run = 0; run <= runs; run++)
        {
            var sw = Stopwatch.StartNew();
            double cpu0 = Alternated.ThreadCpuSeconds();
            count = 0;
            for (int pos = 0; pos < bytes.Length;)
            {
                tokenizer.EncodeBytes(bytes.AsSpan(pos), ids, out int consumed, out int written);
                pos += consumed;
                count += written;
            }
            double wall = sw.Elapsed.TotalSeconds, cpu = Alternated.ThreadCpuSeconds() - cpu0;
            if (run == 0) continue; // warm-up (tier-up and page faults)
            bestWall = Math.Min(bestWall, wall);
            bestCpu = Math.Min(bestCpu, cpu);
        }
        Console.WriteLine($"engine {bytes.Length} bytes {count} ids: wall {bestWall:F3} s ({bytes.Length / 1e6 / bestWall:F1} MB/s), thread CPU {bestCpu:F3} s ({bytes.Length / 1e6 / bestCpu:F1} MB/s)");
    }

    /// <summary>
    /// The host's pipeline on a file (StreamingEncoder over a 1 MiB-buffered PipeReader, as `bytepiece encode` reads),
    /// the ids dropped: bytes allocated, collections, the GC's committed and peak heap, the process's peak RSS.
    /// </summary>
    private static void StreamMemory(string file, int threads)
    {
        var encoder = new StreamingEncoder(BytePieceTokenizer.Default) { Threads = threads };
        using var ticks = new AllocationTicks();
        long allocated = GC.GetTotalAllocatedBytes(precise: true), ids = 0;
        var sw = Stopwatch.StartNew();
        using (FileStream stream = File.OpenRead(file))
        {
            var reader = System.IO.Pipelines.PipeReader.Create(stream, new System.IO.Pipelines.StreamPipeReaderOptions(bufferSize: 1 << 20, leaveOpen: true));
            foreach (EncodedBlock block in encoder.EncodeBlocksAsync(reader).ToBlockingEnumerable()) ids += block.Ids.Length;
        }
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        Console.WriteLine($"threads {threads}: {ids} ids in {sw.Elapsed.TotalSeconds:F2} s; allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6:F1} MB; "
            + $"collections gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}; committed {info.TotalCommittedBytes / 1e6:F1} MB; "
            + $"heap {info.HeapSizeBytes / 1e6:F1} MB; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F1} MB");
        foreach (var (type, bytes) in ticks.Top(12)) Console.WriteLine($"  {bytes / 1e6,8:F1} MB  {type}");
    }

    /// <summary>The runtime's allocation samples (one event per ~100 KB allocated), summed by type.</summary>
    private sealed class AllocationTicks : System.Diagnostics.Tracing.EventListener
    {
        private readonly Dictionary<string, long> _bytes = [];

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
            int typeAt = e.PayloadNames!.IndexOf("TypeName"), amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
            string type = (typeAt >= 0 ? e.Payload[typeAt]?.ToString() ?? "?" : "?") + (e.PayloadNames.IndexOf("AllocationKind") is int kindAt and >= 0 && Convert.ToInt32(e.Payload[kindAt]) == 1 ? " (large)" : "");
            long amount = amountAt >= 0 ? Convert.ToInt64(e.Payload[amountAt]) : 100_000;
            lock (_bytes) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }

        public List<(string Type, long Bytes)> Top(int n)
        {
            lock (_bytes) return [.. _bytes.OrderByDescending(p => p.Value).Take(n).Select(p => (p.Key, p.Value))];
        }
    }

    private static void Quick()
    {
        foreach (string model in new[] { "bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model" })
        {
            var sw = Stopwatch.StartNew();
            var tokenizer = new BytePieceTokenizer(ModelFile.Load(BenchData.ModelPath(model)));
            Console.WriteLine($"{model}: loaded in {sw.ElapsedMilliseconds} ms");
            foreach (string corpus in new[] { "mixed", "zh", "en", "code" })
            {
                byte[] bytes = BenchData.Text(corpus, EncodeBenchmarks.TextBytes);
                var ids = new int[bytes.Length + 1];
                tokenizer.EncodeBytes(bytes, ids, out _, out int count);
                double best = double.MaxValue;
                for (int run = 0; run < 5; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeBytes(bytes, ids, out _, out count);
                    best = Math.Min(best, sw.Elapsed.TotalSeconds);
                }
                string text = Encoding.UTF8.GetString(bytes);
                double bestText = double.MaxValue;
                for (int run = 0; run < 3; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeToIds(text);
                    bestText = Math.Min(bestText, sw.Elapsed.TotalSeconds);
                }
                byte[] oneLine = bytes.Select(b => b == (byte)'\n' ? (byte)' ' : b).ToArray();
                double bestLine = double.MaxValue;
                for (int run = 0; run < 3; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeBytes(oneLine, ids, out _, out _);
                    bestLine = Math.Min(bestLine, sw.Elapsed.TotalSeconds);
                }
                Console.WriteLine($"  {corpus,-6} {bytes.Length / 1e6 / bestLine,7:F1} MB/s as one line, {bytes.Length / (double)bytes.Count(b => b == (byte)'\n'):F0} bytes/line");
                double bestSample = double.MaxValue;
                var sampling = new SamplingOptions(0.1, 1);
                for (int run = 0; run < 3; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeBytes(bytes, ids, out _, out _, sampling: sampling);
                    bestSample = Math.Min(bestSample, sw.Elapsed.TotalSeconds);
                }
                Console.WriteLine($"  {corpus,-6} {bytes.Length / 1e6 / bestSample,7:F1} MB/s sampling alpha 0.1 ({best / bestSample:F2}x Viterbi)");
                Console.WriteLine($"  {corpus,-6} {bytes.Length / 1e6 / best,7:F1} MB/s bytes  {bytes.Length / 1e6 / bestText,7:F1} MB/s string  {(double)bytes.Length / count:F2} bytes/token");
            }
        }
    }
}
