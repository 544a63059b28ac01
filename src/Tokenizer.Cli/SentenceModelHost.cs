using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// encode and decode with a <see cref="SentenceModel"/>, as spm_encode/spm_decode do: every input line is
/// one sentence (newlines never reach the normalizer), one output line per input line, <c>--bos</c>/<c>--eos</c>
/// around each sentence.
/// </summary>
internal static class SentenceModelHost
{
    private const int BatchBytes = 1 << 20;

    /// <summary>
    /// Encodes each line of <paramref name="source"/>; batches of lines are encoded on <paramref name="threads"/>
    /// threads and written in order. Line i (from 0) draws with sentence index i, so sampling is reproducible.
    /// </summary>
    /// <returns>(lines, tokens).</returns>
    public static (long Lines, long Tokens) Encode(SentenceModel model, Stream source, Stream output, IdWriter writer,
        bool bos, bool eos, bool pieceText, bool raw, SamplingOptions sampling, int threads, long maxLine, CancellationToken cancellation, Action<long> progress)
    {
        long lines = 0, tokens = 0;
        long blockStart = 0; // input offset of buffer[0]
        writer.Begin(output);
        var buffer = new byte[BatchBytes];
        int filled = 0;
        bool ended = false;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellation };
        while (!ended)
        {
            int read = source.Read(buffer, filled, buffer.Length - filled);
            ended = read == 0;
            filled += read;
            int cut = ended ? filled : buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
            if (cut == 0)
            {
                // A line longer than the buffer: read more of it (within --max-chunk).
                if (filled > maxLine) throw LineTooLong(source, filled, maxLine);
                Array.Resize(ref buffer, (int)Math.Min(Array.MaxLength, buffer.Length * 2L));
                continue;
            }
            // Invalid UTF-8 is refused with its offset, as with BytePiece models; --raw hands it to the model,
            // whose normalizer replaces it (U+FFFD) as spm_encode does. A cut at '\n' never splits a character.
            if (!raw && !System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, cut)))
                throw new InvalidUtf8Exception(blockStart + CommonOptions.FirstInvalidUtf8(buffer.AsSpan(0, cut)));
            List<(int Start, int Length)> batch = SplitLines(buffer.AsSpan(0, cut), final: ended);
            foreach (var (start, length) in batch)
                if (length > maxLine) throw LineTooLong(source, length, maxLine);
            var results = new int[batch.Count][];
            var pieces = pieceText ? new IReadOnlyList<string>[batch.Count] : null;
            byte[] block = buffer;
            long firstLine = lines;
            try
            {
                Parallel.For(0, threads, options, part =>
                {
                    for (int k = part * batch.Count / threads; k < (part + 1) * batch.Count / threads; k++)
                    {
                        ReadOnlySpan<byte> line = block.AsSpan(batch[k].Start, batch[k].Length);
                        SamplingOptions draw = sampling with { FirstChunk = sampling.FirstChunk + firstLine + k };
                        if (pieces is not null) pieces[k] = model.Pieces(line, draw, bos, eos);
                        else results[k] = model.Encode(line, draw, bos, eos);
                    }
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // One clear error, as the sequential path would give (CliApp maps it to its exit code).
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            for (int k = 0; k < results.Length; k++)
            {
                if (pieces is not null)
                {
                    output.Write(Encoding.UTF8.GetBytes(string.Join(' ', pieces[k].Select(EscapeControls)) + "\n"));
                    tokens += pieces[k].Count;
                    continue;
                }
                writer.Write(new EncodedPart(results[k], EndsChunk: true), output);
                tokens += results[k].Length;
            }
            lines += batch.Count;
            blockStart += cut;
            buffer.AsSpan(cut, filled - cut).CopyTo(buffer);
            filled -= cut;
            progress(tokens);
        }
        writer.End(output);
        return (lines, tokens);
    }

    /// <summary>
    /// A piece as one word of a pieces line: control characters (a CR or NUL the model kept, an unknown
    /// piece's surface) shown as their UTF-8 bytes, <c>&lt;0x0D&gt;</c>, as BytePiece pieces are, so that a line stays a line.
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

    private static InputLimitExceededException LineTooLong(Stream source, long length, long limit)
        => new($"a line near byte {source.Position:N0} is longer than --max-chunk {limit:N0} bytes (at least {length:N0})");

    /// <summary>Lines without their '\n'; a last line without one counts only when it is not empty.</summary>
    private static List<(int, int)> SplitLines(ReadOnlySpan<byte> text, bool final)
    {
        var lines = new List<(int, int)>();
        int start = 0;
        while (start < text.Length)
        {
            int end = text[start..].IndexOf((byte)'\n');
            if (end < 0)
            {
                lines.Add((start, text.Length - start));
                break;
            }
            lines.Add((start, end));
            start += end + 1;
        }
        return lines;
    }

    /// <summary>Decodes each input line of ids to one output line (spm_decode), or the ids given as arguments to one line; line by line as it reads.</summary>
    public static void Decode(SentenceModel model, Stream input, bool arguments, Stream output)
    {
        var ids = new List<int>();
        IdReader.Read(input, arguments, (id, where) =>
        {
            if (id >= model.VocabSize) throw new CliException(ExitCodes.BadInput, $"id {id} is not in the model (ids go up to {model.VocabSize - 1}; {where()})");
            ids.Add(id);
        }, () =>
        {
            output.Write(Encoding.UTF8.GetBytes(model.Decode(ids)));
            output.WriteByte((byte)'\n');
            ids.Clear();
        });
    }
}
