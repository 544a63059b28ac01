using System.Buffers;
using System.Buffers.Text;
using System.CommandLine;
using System.Text;
using System.Text.Unicode;

namespace BytePiece.Cli;

/// <summary><c>bytepiece encode</c>: text to ids or pieces, one output line per chunk (a line and its newlines).</summary>
internal static class EncodeCommand
{
    private const int BlockSize = 1 << 20;

    public static Command Create(CliIO io)
    {
        var text = new Argument<string?>("text") { Arity = ArgumentArity.ZeroOrOne, Description = "Text to encode. Without it, the input (stdin by default) is encoded." };
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var output = CommonOptions.Output();
        var format = new Option<string>("--format", "-f") { Description = "ids: decimal ids; pieces: piece text (space as ▁, other bytes as <0xNN>).", DefaultValueFactory = _ => "ids" };
        format.AcceptOnlyFromAmong("ids", "pieces");
        var bos = new Option<bool>("--bos") { Description = "Add <bos> (id 1) at the start." };
        var eos = new Option<bool>("--eos") { Description = "Add <eos> (id 2) at the end." };
        var raw = new Option<bool>("--raw") { Description = "Encode the input bytes as they are: no UTF-8 check, no normalization." };
        var alpha = CommonOptions.Alpha();
        var seed = CommonOptions.Seed();
        var command = new Command("encode", "Encode text to token ids (Viterbi, or sampled with --alpha).") { text, model, input, output, format, bos, eos, raw, alpha, seed };
        command.SetAction(parse =>
        {
            var tokenizer = new BytePieceTokenizer(CommonOptions.LoadModel(parse.GetValue(model)!));
            string? literal = parse.GetValue(text);
            if (literal is not null && parse.GetValue(input) is not null)
                throw new CliException(ExitCodes.Usage, "give either TEXT or --input, not both");
            var sampling = new SamplingOptions(parse.GetValue(alpha), parse.GetValue(seed));
            var writer = new TokenLineWriter(tokenizer, parse.GetValue(format) == "pieces", parse.GetValue(bos), parse.GetValue(eos), parse.GetValue(raw), sampling);
            io.WriteOutput(parse.GetValue(output), stream =>
            {
                writer.Begin(stream);
                if (literal is not null)
                {
                    writer.WriteBatch(Encoding.UTF8.GetBytes(literal), stream);
                }
                else
                {
                    using Stream source = io.OpenInput(parse.GetValue(input));
                    EncodeStream(source, stream, writer);
                }
                writer.End(stream);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Reads blocks, encodes every complete chunk, and carries the incomplete tail to the next block.</summary>
    private static void EncodeStream(Stream source, Stream output, TokenLineWriter writer)
    {
        byte[] buffer = new byte[BlockSize];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int read = source.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) break;
            filled += read;
            int complete = Chunker.LastCompleteChunkEnd(buffer.AsSpan(0, filled));
            if (complete == 0) continue;
            writer.WriteBatch(buffer.AsSpan(0, complete), output);
            buffer.AsSpan(complete, filled - complete).CopyTo(buffer);
            filled -= complete;
        }
        writer.WriteBatch(buffer.AsSpan(0, filled), output);
    }
}

/// <summary>Encodes batches of whole chunks and writes one line per chunk.</summary>
internal sealed class TokenLineWriter(BytePieceTokenizer tokenizer, bool pieces, bool bos, bool eos, bool raw, SamplingOptions sampling)
{
    private long _chunk; // index of the next chunk in the whole input: sampling draws depend on it
    private int[] _ids = new int[4096];
    private readonly byte[] _number = new byte[16];
    private bool _lineOpen;
    private long _offset;

    public void Begin(Stream output)
    {
        if (bos) WriteToken(output, SpecialTokens.BosId);
    }

    public void End(Stream output)
    {
        if (eos) WriteToken(output, SpecialTokens.EosId);
        if (_lineOpen) output.WriteByte((byte)'\n');
        _lineOpen = false;
    }

    /// <summary>Encodes <paramref name="batch"/> (whole chunks, or the end of the input) chunk by chunk.</summary>
    public void WriteBatch(ReadOnlySpan<byte> batch, Stream output)
    {
        if (!raw && Utf8.IsValid(batch) is false)
        {
            int valid = ValidPrefixLength(batch);
            throw new InvalidUtf8Exception(_offset + valid);
        }
        int pos = 0;
        while (pos < batch.Length)
        {
            int end = Chunker.ChunkEnd(batch, pos);
            ReadOnlySpan<byte> chunk = batch[pos..end];
            ReadOnlySpan<int> ids = Encode(chunk, sampling with { FirstChunk = _chunk++ });
            foreach (int id in ids) WriteToken(output, id);
            if (end < batch.Length || chunk[^1] == (byte)'\n')
            {
                output.WriteByte((byte)'\n');
                _lineOpen = false;
            }
            pos = end;
        }
        _offset += batch.Length;
    }

    private ReadOnlySpan<int> Encode(ReadOnlySpan<byte> chunk, SamplingOptions chunkSampling)
    {
        if (raw || tokenizer.Model.Normalization == TextNormalization.None || Ascii.IsValid(chunk))
        {
            if (_ids.Length < chunk.Length + 1) _ids = new int[Math.Max(chunk.Length + 1, _ids.Length * 2)];
            tokenizer.EncodeBytes(chunk, _ids, out _, out int written, sampling: chunkSampling);
            return _ids.AsSpan(0, written);
        }
        // Text: normalized exactly as the library normalizes strings.
        IReadOnlyList<int> list = tokenizer.EncodeToIds(Encoding.UTF8.GetString(chunk), sampling: chunkSampling);
        return list is List<int> l ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(l) : list.ToArray();
    }

    private void WriteToken(Stream output, int id)
    {
        if (_lineOpen) output.WriteByte((byte)' ');
        _lineOpen = true;
        if (pieces)
        {
            string text = (uint)id < SpecialTokens.Count ? SpecialTokens.GetText(id) : PieceText.FormatForListing(tokenizer.Model.GetPieceBytes(id));
            output.Write(Encoding.UTF8.GetBytes(text));
            return;
        }
        Utf8Formatter.TryFormat(id, _number, out int length);
        output.Write(_number, 0, length);
    }

    private static int ValidPrefixLength(ReadOnlySpan<byte> bytes)
    {
        char[] sink = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            int total = 0;
            while (true)
            {
                var status = Utf8.ToUtf16(bytes[total..], sink, out int read, out _, replaceInvalidSequences: false, isFinalBlock: true);
                total += read;
                if (status != OperationStatus.DestinationTooSmall) return total;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(sink);
        }
    }
}
