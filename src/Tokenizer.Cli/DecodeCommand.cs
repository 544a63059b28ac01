using System.CommandLine;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece decode</c>: whitespace-separated ids to text.</summary>
internal static class DecodeCommand
{
    public static Command Create(CliIO io)
    {
        var ids = new Argument<string[]>("ids") { Arity = ArgumentArity.ZeroOrMore, Description = "Ids to decode. Without them, ids are read from the input." };
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var output = CommonOptions.Output();
        var errors = new Option<string>("--errors") { Description = "Invalid UTF-8 in the output: replace (U+FFFD), strict (fail), ignore (drop).", DefaultValueFactory = _ => "replace" };
        errors.AcceptOnlyFromAmong("replace", "strict", "ignore");
        var raw = new Option<bool>("--raw") { Description = "Write the pieces' bytes as they are (no UTF-8 decoding)." };
        var command = new Command("decode", "Decode token ids to text.") { ids, model, input, output, errors, raw };
        command.SetAction(parse =>
        {
            string[] literal = parse.GetValue(ids) ?? [];
            // The ids come as bytes from the arguments or the input, and are decoded as they are read.
            Stream OpenIds() => literal.Length > 0 ? new MemoryStream(Encoding.UTF8.GetBytes(string.Join(' ', literal))) : io.OpenInput(parse.GetValue(input));
            UnigramTokenizer loaded = CommonOptions.LoadTokenizer(parse.GetValue(model));
            if (SentenceModel.Of(loaded) is { } spm)
            {
                io.WriteOutput(parse.GetValue(output), stream =>
                {
                    using Stream source = OpenIds();
                    spm.DecodeLines(source, literal.Length > 0, stream);
                }, parse.GetValue(input));
                return ExitCodes.Success;
            }
            var tokenizer = (BytePieceTokenizer)loaded;
            var policy = parse.GetValue(errors) switch { "strict" => DecodePolicy.Strict, "ignore" => DecodePolicy.Ignore, _ => DecodePolicy.Replace };
            bool rawBytes = parse.GetValue(raw);
            io.WriteOutput(parse.GetValue(output), stream =>
            {
                var decoder = tokenizer.CreateIncrementalDecoder(policy);
                // Ids are decoded a batch at a time: the text of a batch is written before the next is read.
                var batch = new int[4096];
                int count = 0;
                void Decode()
                {
                    if (!rawBytes) stream.Write(Encoding.UTF8.GetBytes(decoder.Append(batch.AsSpan(0, count))));
                    count = 0;
                }
                using Stream source = OpenIds();
                try
                {
                    IdReader.Read(source, literal.Length > 0, (id, where) =>
                    {
                        if (!tokenizer.Model.ContainsId(id) && (uint)id >= SpecialTokens.Count)
                            throw new CliException(ExitCodes.BadInput, $"id {id} is not in the model (ids go up to {tokenizer.VocabSize - 1}; {where()})");
                        if (rawBytes)
                        {
                            if ((uint)id >= SpecialTokens.Count) stream.Write(tokenizer.Model.GetPieceBytes(id));
                            return;
                        }
                        batch[count++] = id;
                        if (count == batch.Length) Decode();
                    }, onLineEnd: null);
                    Decode();
                    if (!rawBytes) stream.Write(Encoding.UTF8.GetBytes(decoder.Flush()));
                }
                catch (InvalidUtf8Exception e)
                {
                    // The bad bytes are the ids' output, not the input: encode's "--raw to encode bytes" would mislead.
                    throw new CliException(ExitCodes.BadInput,
                        $"the ids decode to invalid UTF-8 at byte {e.ByteOffset} of the output (--errors replace or ignore decodes it anyway; --raw writes the pieces' bytes)");
                }
            }, parse.GetValue(input));
            return ExitCodes.Success;
        });
        return command;
    }
}
