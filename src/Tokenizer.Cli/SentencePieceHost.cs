using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// The commands for SentencePiece <c>.model</c> files, which behave as spm_encode/spm_decode do: every
/// input line is one sentence (newlines never reach the normalizer), one output line per input line,
/// <c>--bos</c>/<c>--eos</c> around each sentence.
/// </summary>
internal static class SentencePieceHost
{
    private const int BatchBytes = 1 << 20;

    /// <summary>The SentencePiece tokenizer for <paramref name="path"/> when the file is a <c>.model</c>, else null.</summary>
    public static SentencePieceTokenizer? TryLoad(string? path)
    {
        if (path is null || !File.Exists(path)) return null;
        Span<byte> head = stackalloc byte[16];
        using (var file = File.OpenRead(path)) head = head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        return ModelFile.Detect(head) == ModelFileFormat.SentencePiece ? SentencePieceTokenizer.Load(path) : null;
    }

    /// <summary>
    /// Encodes each line of <paramref name="source"/>; batches of lines are encoded on <paramref name="threads"/>
    /// threads and written in order. Line i (from 0) draws with sentence index i, so sampling is reproducible.
    /// </summary>
    /// <returns>(lines, tokens).</returns>
    public static (long Lines, long Tokens) Encode(SentencePieceTokenizer tokenizer, Stream source, Stream output, IdWriter writer,
        bool bos, bool eos, bool pieceText, SamplingOptions sampling, int threads, CancellationToken cancellation, Action<long> progress)
    {
        long lines = 0, tokens = 0;
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
                Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer: read more of it
                continue;
            }
            List<(int Start, int Length)> batch = SplitLines(buffer.AsSpan(0, cut), final: ended);
            var results = new int[batch.Count][];
            var pieces = pieceText ? new IReadOnlyList<string>[batch.Count] : null;
            byte[] block = buffer;
            long firstLine = lines;
            Parallel.For(0, threads, options, part =>
            {
                for (int k = part * batch.Count / threads; k < (part + 1) * batch.Count / threads; k++)
                {
                    ReadOnlySpan<byte> line = block.AsSpan(batch[k].Start, batch[k].Length);
                    if (pieces is not null) pieces[k] = tokenizer.EncodeToPieces(line, sampling with { FirstChunk = sampling.FirstChunk + firstLine + k });
                    else results[k] = [.. tokenizer.EncodeToIds(line, sampling with { FirstChunk = sampling.FirstChunk + firstLine + k }, bos, eos)];
                }
            });
            for (int k = 0; k < results.Length; k++)
            {
                if (pieces is not null)
                {
                    WritePieces(pieces[k], bos, eos, tokenizer.Model, output);
                    tokens += pieces[k].Count + (bos ? 1 : 0) + (eos ? 1 : 0);
                    continue;
                }
                writer.Write(new EncodedPart(results[k], EndsChunk: true), output);
                tokens += results[k].Length;
            }
            lines += batch.Count;
            buffer.AsSpan(cut, filled - cut).CopyTo(buffer);
            filled -= cut;
            progress(tokens);
        }
        writer.End(output);
        return (lines, tokens);
    }

    /// <summary>A line of pieces as spm_encode prints them (an unknown as the text it stands for).</summary>
    private static void WritePieces(IReadOnlyList<string> pieces, bool bos, bool eos, SentencePieceModel model, Stream output)
    {
        var line = new StringBuilder();
        if (bos) line.Append(model.IdToPiece(model.BosId));
        foreach (string piece in pieces) line.Append(line.Length > 0 ? " " : "").Append(piece);
        if (eos) line.Append(line.Length > 0 ? " " : "").Append(model.IdToPiece(model.EosId));
        output.Write(Encoding.UTF8.GetBytes(line.Append('\n').ToString()));
    }

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

    /// <summary>Decodes each input line of ids to one output line (spm_decode), or the ids given as arguments to one line.</summary>
    public static void Decode(SentencePieceTokenizer tokenizer, IEnumerable<(string Line, string Where)> lines, Stream output)
    {
        foreach (var (line, where) in lines)
        {
            var ids = new List<int>();
            foreach (string part in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                int id = CommonOptions.ParseId(part, where);
                if (id >= tokenizer.VocabSize) throw new CliException(ExitCodes.BadInput, $"id {id} is not in the model (ids go up to {tokenizer.VocabSize - 1}; {where})");
                ids.Add(id);
            }
            output.Write(Encoding.UTF8.GetBytes(tokenizer.Decode(ids)));
            output.WriteByte((byte)'\n');
        }
    }

    public static string Info(SentencePieceTokenizer tokenizer, string path)
    {
        SentencePieceModel m = tokenizer.Model;
        int Count(SentencePieceType type) => Enumerable.Range(0, m.VocabSize).Count(id => m.GetPieceType(id) == type);
        return new StringBuilder()
            .AppendLine($"file           {path} (SentencePiece Unigram)")
            .AppendLine($"vocab size     {m.VocabSize} ({Count(SentencePieceType.Normal)} normal, {Count(SentencePieceType.UserDefined)} user-defined, "
                + $"{Count(SentencePieceType.Control)} control, {Count(SentencePieceType.Byte)} byte, {Count(SentencePieceType.Unused)} unused, 1 unknown)")
            .AppendLine($"specials       unk {m.UnknownId}, bos {m.BosId}, eos {m.EosId}, pad {m.PadId} (-1: none)")
            .AppendLine($"normalizer     {(m.NormalizerName.Length == 0 ? "(unnamed)" : m.NormalizerName)}; add_dummy_prefix {m.AddDummyPrefix}, "
                + $"remove_extra_whitespaces {m.RemoveExtraWhitespaces}, escape_whitespaces {m.EscapeWhitespaces}")
            .AppendLine($"options        byte_fallback {m.ByteFallback}, treat_whitespace_as_suffix {m.TreatWhitespaceAsSuffix}")
            .AppendLine($"scores         {m.MinScore} .. {m.MaxScore} (normal pieces)")
            .ToString();
    }
}
