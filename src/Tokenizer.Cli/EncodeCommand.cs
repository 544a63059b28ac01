using System.CommandLine;
using System.IO.Pipelines;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece encode</c>: text to ids or pieces, one output line per chunk (a line and its newlines).</summary>
internal static class EncodeCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Text to encode. Without it, the input (stdin by default) is encoded.");
        var model = CommonOptions.Model();
        var input = new Option<string[]>("--input", "-i") { Description = "Input file, or - for stdin (the default). Several --input (or --input-list) with --output-dir: a shard run, an output per input." };
        var output = CommonOptions.Output();
        var inputList = new Option<string?>("--input-list") { Description = "A file naming the inputs of a shard run, one path per line (- reads the list from stdin); needs --output-dir." };
        var outputDir = new Option<string?>("--output-dir") { Description = "Shard run: each input's output in DIR, named after the input with the format's extension, with DIR/manifest.jsonl; shards already done are skipped." };
        var manifest = new Option<string?>("--manifest") { Description = "Shard run: the manifest file (default: DIR/manifest.jsonl); its paths are relative to its folder." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "ids: decimal ids, a line per chunk; pieces: piece text (space as ▁, other bytes as <0xNN>); "
                + "bin16/bin32: little-endian ids; npy: NumPy array (uint16 when ids fit, else uint32; needs --output FILE); "
                + "jsonl: {\"ids\": [...]} per chunk (with --bos/--eos around each); "
                + "megatron: a Megatron-LM indexed dataset, --output PREFIX writes PREFIX.bin and PREFIX.idx (a document per chunk or line, --bos/--eos around each).",
            DefaultValueFactory = _ => "ids",
        };
        format.AcceptOnlyFromAmong("ids", "pieces", "bin16", "bin32", "npy", "jsonl", "megatron");
        var threads = CommonOptions.Threads();
        var bos = new Option<bool>("--bos") { Description = "Add <bos> (id 1) at the start." };
        var eos = new Option<bool>("--eos") { Description = "Add <eos> (id 2) at the end." };
        var raw = new Option<bool>("--raw") { Description = "Encode the input bytes as they are: no UTF-8 check, no normalization. With a .model or tokenizer.json: no UTF-8 check (the model's normalizer replaces invalid bytes with U+FFFD, as spm_encode does)." };
        var alpha = CommonOptions.Alpha();
        var seed = CommonOptions.Seed();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar and no summary line on stderr." };
        var maxChunk = new Option<string?>("--max-chunk") { Description = "Refuse a chunk (a line and its newlines; for .model and tokenizer.json a line) longer than this, e.g. 64M: exit 5. Default: no limit (long lines stream in bounded memory)." };
        var maxMemory = new Option<string?>("--max-memory") { Description = "Stop when the process's resident memory (model included) passes this, e.g. 2G: exit 5, no output file. Default: no limit." };
        var command = new Command("encode", "Encode text to token ids (Viterbi, or sampled with --alpha).") { text, model, input, output, inputList, outputDir, manifest, format, bos, eos, raw, alpha, seed, threads, quiet, maxChunk, maxMemory };
        long ChunkLimit(ParseResult parse) => parse.GetValue(maxChunk) is { } c ? CommonOptions.ParseSize(c, "--max-chunk") : long.MaxValue;
        // Created once the model is loaded: a limit below what the process already uses is refused at once.
        MemoryGuard Guard(ParseResult parse) => new(parse.GetValue(maxMemory) is { } m ? CommonOptions.ParseSize(m, "--max-memory") : null, io.Cancellation);

        command.SetAction(parse =>
        {
            string[] inputs = parse.GetValue(input) ?? [];
            ShardPlan? shards = ShardPlan.From(io, inputs, parse.GetValue(inputList), parse.GetValue(outputDir), parse.GetValue(manifest), parse.GetValue(output), parse.GetValue(text), parse.GetValue(format)!);
            string? inputPath = inputs.Length > 0 ? inputs[0] : null;
            // One pipeline for every family (StreamingEncoder): BytePiece chunks, or a sentence per line for a
            // .model or tokenizer.json (each with its own bos/eos, as spm_encode --extra_options=bos:eos writes them).
            UnigramTokenizer tokenizer = CommonOptions.LoadTokenizer(parse.GetValue(model));
            SentenceModel? sentences = SentenceModel.Of(tokenizer);
            var sampling = new SamplingOptions(parse.GetValue(alpha), parse.GetValue(seed));
            bool addBos = parse.GetValue(bos), addEos = parse.GetValue(eos);
            sentences?.CheckOptions(addBos, addEos, sampling);
            bool sentencePieces = sentences is not null && parse.GetValue(format) == "pieces"; // as the model's tool prints them
            // BytePiece: bos/eos around the whole output (the writer's); sentence models: around each line (the encoder's).
            IdWriter NewWriter(string? outputPath) => parse.GetValue(format) == "megatron"
                ? MegatronWriter.Create(tokenizer, sentences?.Vocabulary ?? IdVocabulary.Of((BytePieceTokenizer)tokenizer), addBos, addEos, outputPath)
                : sentences is not null
                ? IdWriter.Create(parse.GetValue(format)!, sentences.Vocabulary, false, false, outputPath)
                : IdWriter.Create(parse.GetValue(format)!, IdVocabulary.Of((BytePieceTokenizer)tokenizer), addBos, addEos, outputPath);
            // Made before any work, so that a format the model cannot take (bin16 and a large vocabulary) is refused at once.
            IdWriter writer = NewWriter(shards is null ? parse.GetValue(output) : shards.Shards.FirstOrDefault()?.Outputs[0] ?? "shard");
            long chunkLimit = ChunkLimit(parse);
            using MemoryGuard memory = Guard(parse);
            StreamingEncoder NewEncoder(int threadCount) => new(tokenizer, parse.GetValue(raw), sampling, sentences is not null && addBos, sentences is not null && addEos)
            {
                Threads = threadCount,
                MaxChunkLength = chunkLimit,
            };
            if (shards is not null)
            {
                // Each shard as it would be encoded alone: its own writer and encoder, into its own files.
                var settings = new ShardSettings(ModelIdentity.Of(parse.GetValue(model), tokenizer),
                    ShardOptions.Of(parse.GetValue(format)!, addBos, addEos, parse.GetValue(raw), sampling), ShardSettings.ThisTool);
                int code = 0;
                memory.Run(() => code = ShardRun.Run(io, shards, settings, (source, shard, threadCount) =>
                {
                    (long Chunks, long Tokens) counts = default;
                    // A dataset's first output, PREFIX.bin, names its pair; every other format has one output.
                    IdWriter shardWriter = NewWriter(shard.Outputs[0]);
                    StreamingEncoder shardEncoder = NewEncoder(threadCount);
                    shardWriter.WriteOutput(io, shard.Outputs[0], stream => counts = Encode(source, stream, shardWriter, shardEncoder, (_, _) => { }), shard.Input);
                    return counts;
                }, parse.GetValue(threads), parse.GetValue(quiet), sentences is not null ? "line" : "chunk", memory));
                return code;
            }
            var encoder = NewEncoder(parse.GetValue(threads));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long tokens = 0, chunks = 0, bytes = 0;
            // A dataset is two files, the index written after the data; every other format is one output.
            memory.Run(() => writer.WriteOutput(io, parse.GetValue(output), stream =>
            {
                using CountingStream source = CommonOptions.OpenSource(io, parse.GetValue(text), inputPath);
                Progress.Run(io, quiet: parse.GetValue(quiet), total: source.KnownLength, update => (chunks, tokens) = Encode(source, stream, writer, encoder, update));
                bytes = source.BytesRead;
            }, inputPath));
            if (!parse.GetValue(quiet))
                Summary(io, bytes, chunks, encoder.SentencePerLine ? "line" : "chunk", tokens, clock.Elapsed,
                    encoder.ForcedCuts > 0 ? $", {Report.Count(encoder.ForcedCuts, "forced cut")} (see StreamingEncoder.ForcedCuts)" : "");
            return ExitCodes.Success;

            // One input into one output in the writer's format, reporting (bytes read, tokens) as it goes.
            (long Chunks, long Tokens) Encode(CountingStream source, Stream stream, IdWriter idWriter, StreamingEncoder streamEncoder, Action<long, long> update)
            {
                long written = 0, ended = 0;
                var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 1 << 20, leaveOpen: true));
                idWriter.Begin(stream);
                if (sentencePieces)
                {
                    foreach (EncodedPieces line in streamEncoder.EncodePiecesAsync(reader, memory.Token).ToBlockingEnumerable(memory.Token))
                    {
                        memory.Check();
                        stream.Write(Encoding.UTF8.GetBytes(string.Join(' ', line.Pieces.Select(EscapeControls)) + "\n"));
                        written += line.Pieces.Count;
                        ended++;
                        update(source.BytesRead, written);
                    }
                }
                else
                {
                    foreach (EncodedBlock block in streamEncoder.EncodeBlocksAsync(reader, memory.Token).ToBlockingEnumerable(memory.Token))
                    {
                        memory.Check();
                        idWriter.Write(block, stream); // many chunks or lines at once, with one write
                        written += block.Ids.Length;
                        ended += block.ChunksEnded;
                        update(source.BytesRead, written);
                    }
                }
                idWriter.End(stream);
                return (ended, written);
            }
        });
        return command;
    }

    /// <summary>
    /// A sentence model's piece as one word of a pieces line: control characters (a CR or NUL the model kept, an
    /// unknown piece's surface) shown as their UTF-8 bytes, <c>&lt;0x0D&gt;</c>, as BytePiece pieces are, so that a line stays a line.
    /// </summary>
    private static string EscapeControls(string piece)
    {
        if (!piece.EnumerateRunes().Any(Rune.IsControl)) return piece;
        var text = new StringBuilder(piece.Length + 8);
        Span<byte> bytes = stackalloc byte[4];
        foreach (Rune rune in piece.EnumerateRunes())
        {
            if (!Rune.IsControl(rune))
            {
                text.Append(rune.ToString());
                continue;
            }
            int length = rune.EncodeToUtf8(bytes);
            for (int k = 0; k < length; k++) text.Append("<0x").Append(bytes[k].ToString("X2", System.Globalization.CultureInfo.InvariantCulture)).Append('>');
        }
        return text.ToString();
    }

    /// <summary>The summary line: counts in words ("1 chunk"), and a rate only when the input is large enough to measure one.</summary>
    private static void Summary(CliIO io, long bytes, long units, string unit, long tokens, TimeSpan elapsed, string extra)
    {
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        string rate = Report.RateMeasurable(bytes, seconds) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({bytes / 1e6 / seconds:F1} MB/s)") : "";
        io.Stderr.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"bytepiece: encoded {Report.Count(bytes, "byte")}, {Report.Count(units, unit)}, into {Report.Count(tokens, "token")} ({(tokens == 0 ? 0 : (double)bytes / tokens):F2} bytes/token) in {Report.Seconds(elapsed)}{rate}{extra}"));
    }
}
