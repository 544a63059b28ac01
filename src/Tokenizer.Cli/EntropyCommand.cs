using System.CommandLine;
using System.Globalization;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece entropy</c>: the exact entropy of the segmentation distribution P^alpha / Z.</summary>
internal static class EntropyCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Text to analyse. Without it, the input is read.");
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var alpha = new Option<double>("--alpha", "-a") { Description = "Inverse temperature (0 to 1e6).", DefaultValueFactory = _ => 1 };
        var command = new Command("entropy", "Print the entropy (nats, then bits) of the text's segmentation distribution P^alpha / Z.") { text, model, input, alpha };
        command.SetAction(parse =>
        {
            double a = parse.GetValue(alpha);
            if (!(a >= 0 && a <= SamplingOptions.MaxAlpha)) throw new CliException(ExitCodes.Usage, $"--alpha must be between 0 and {SamplingOptions.MaxAlpha:G}");
            // A SentencePiece model or tokenizer.json reads the whole text as one sentence (spm's calculate_entropy).
            UnigramTokenizer loaded = CommonOptions.LoadTokenizer(parse.GetValue(model));
            double nats = SentenceModel.Of(loaded) is { } spm
                ? spm.Unigram.Entropy(CommonOptions.ReadText(io, parse.GetValue(text), parse.GetValue(input)), a)
                : ChunkByChunk((BytePieceTokenizer)loaded, io, parse.GetValue(text), parse.GetValue(input), a);
            string line = string.Create(CultureInfo.InvariantCulture, $"{nats:R}\t{nats / Math.Log(2):R}\n");
            io.Stdout.Write(Encoding.UTF8.GetBytes(line));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// A BytePiece model's entropy, read and computed a chunk at a time: no piece crosses a chunk boundary,
    /// so the distribution over the text's segmentations is the product of the chunks' and the entropy is the
    /// sum of theirs (what <see cref="BytePieceTokenizer.Entropy(string, double)"/> computes in one pass),
    /// in memory for one block of input instead of a lattice of the whole text.
    /// </summary>
    private static double ChunkByChunk(BytePieceTokenizer tokenizer, CliIO io, string? literal, string? inputPath, double alpha)
    {
        using CountingStream source = CommonOptions.OpenSource(io, literal, inputPath);
        var buffer = new byte[1 << 20];
        int filled = 0;
        long offset = 0; // input offset of buffer[0]
        double nats = 0;
        while (true)
        {
            io.Cancellation.ThrowIfCancellationRequested();
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(Array.MaxLength, buffer.Length * 2L)); // a chunk longer than the buffer
            int read = source.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            ReadOnlySpan<byte> text = buffer.AsSpan(0, filled);
            int complete = read == 0 ? filled : Chunker.LastCompleteChunkEnd(text);
            for (int start = 0; start < complete;)
            {
                int end = Chunker.ChunkEnd(text[..complete], start);
                ReadOnlySpan<byte> chunk = text[start..end];
                if (!System.Text.Unicode.Utf8.IsValid(chunk)) throw new InvalidUtf8Exception(offset + start + CommonOptions.FirstInvalidUtf8(chunk));
                nats += tokenizer.Entropy(Encoding.UTF8.GetString(chunk), alpha);
                start = end;
            }
            buffer.AsSpan(complete, filled - complete).CopyTo(buffer);
            filled -= complete;
            offset += complete;
            if (read == 0) return nats;
        }
    }
}
