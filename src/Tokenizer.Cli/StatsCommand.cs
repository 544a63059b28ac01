using System.CommandLine;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece stats</c>: how a model tokenizes a corpus (bytes, chunks, tokens, tokens per chunk, speed).</summary>
internal static class StatsCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Text to measure. Without it, the input (stdin by default) is read.");
        var model = CommonOptions.BytePieceModel();
        var input = CommonOptions.Input();
        var threads = CommonOptions.Threads();
        var command = new Command("stats", "Report bytes, chunks, tokens, bytes per token, tokens per chunk and throughput for an input.") { text, model, input, threads };
        command.SetAction(parse =>
        {
            var tokenizer = new BytePieceTokenizer(CommonOptions.LoadModel(parse.GetValue(model), "stats reads BytePiece models only (JSON or .bpm): use encode, nbest, entropy or sample for it"));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using CountingStream source = CommonOptions.OpenSource(io, parse.GetValue(text), parse.GetValue(input));
            var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 1 << 20, leaveOpen: true));
            var encoder = new StreamingEncoder(tokenizer) { Threads = parse.GetValue(threads) };
            var perChunk = new List<int>();
            long tokens = 0;
            int current = 0;
            foreach (EncodedBlock block in encoder.EncodeBlocksAsync(reader, io.Cancellation).ToBlockingEnumerable(io.Cancellation))
                for (int k = 0; k < block.Count; k++)
                {
                    current += block.PartIds(k).Length;
                    tokens += block.PartIds(k).Length;
                    if (!block.EndsChunk(k)) continue;
                    perChunk.Add(current);
                    current = 0;
                }
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            long bytes = source.BytesRead;
            perChunk.Sort();
            int Quantile(double q) => perChunk.Count == 0 ? 0 : perChunk[(int)Math.Min(perChunk.Count - 1, Math.Floor(q * perChunk.Count))];
            var report = new StringBuilder();
            void Line(string name, string value) => report.Append(CultureInfo.InvariantCulture, $"{name,-22}{value}\n");
            Line("bytes", bytes.ToString("N0", CultureInfo.InvariantCulture));
            Line("chunks", perChunk.Count.ToString("N0", CultureInfo.InvariantCulture));
            Line("tokens", tokens.ToString("N0", CultureInfo.InvariantCulture));
            Line("bytes per token", tokens == 0 ? "-" : ((double)bytes / tokens).ToString("F3", CultureInfo.InvariantCulture));
            Line("tokens per chunk", perChunk.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture,
                $"min {perChunk[0]}, median {Quantile(0.5)}, p90 {Quantile(0.9)}, p99 {Quantile(0.99)}, max {perChunk[^1]}, mean {(double)tokens / perChunk.Count:F2}"));
            Line("forced cuts", encoder.ForcedCuts.ToString(CultureInfo.InvariantCulture));
            // Rates only when the input is large enough for them to be throughput, not start-up.
            string rates = Report.RateMeasurable(bytes, seconds)
                ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6 / seconds:F1} MB/s, {tokens / 1e6 / seconds:F2} M tokens/s, ")
                : "";
            Line("time", $"{Report.Seconds(clock.Elapsed)} ({rates}{Report.Count(parse.GetValue(threads), "thread")})");
            io.Stdout.Write(Encoding.UTF8.GetBytes(report.ToString()));
            return ExitCodes.Success;
        });
        return command;
    }
}
