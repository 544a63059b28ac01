using System.Buffers.Text;
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
            var writer = new TokenLineWriter(tokenizer, parse.GetValue(format) == "pieces", parse.GetValue(bos), parse.GetValue(eos));
            var encoder = new StreamingEncoder(tokenizer, parse.GetValue(raw), sampling);
            io.WriteOutput(parse.GetValue(output), stream =>
            {
                using Stream source = literal is not null ? new MemoryStream(Encoding.UTF8.GetBytes(literal)) : io.OpenInput(parse.GetValue(input));
                var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 1 << 20, leaveOpen: true));
                writer.Begin(stream);
                foreach (EncodedPart part in encoder.EncodeChunksAsync(reader).ToBlockingEnumerable()) writer.Write(part, stream);
                writer.End(stream);
            });
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>Writes one line per chunk: ids or piece text separated by spaces; bos on the first line, eos on the last.</summary>
internal sealed class TokenLineWriter(BytePieceTokenizer tokenizer, bool pieces, bool bos, bool eos)
{
    private readonly byte[] _number = new byte[16];
    private bool _lineOpen; // tokens written on the current line
    private bool _chunkEnded; // the last part ended a chunk: the next one starts a new line

    public void Begin(Stream output)
    {
        if (bos) WriteToken(output, SpecialTokens.BosId);
    }

    public void Write(EncodedPart part, Stream output)
    {
        if (_chunkEnded)
        {
            output.WriteByte((byte)'\n');
            _lineOpen = false;
        }
        foreach (int id in part.Ids) WriteToken(output, id);
        _chunkEnded = part.EndsChunk;
    }

    public void End(Stream output)
    {
        if (eos) WriteToken(output, SpecialTokens.EosId);
        if (_lineOpen) output.WriteByte((byte)'\n');
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
}
