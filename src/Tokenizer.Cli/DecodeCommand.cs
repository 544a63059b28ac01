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
            if (SentenceModel.TryLoad(parse.GetValue(model)) is { } spm)
            {
                io.WriteOutput(parse.GetValue(output), stream =>
                {
                    if (literal.Length > 0)
                    {
                        SentenceModelHost.Decode(spm, [(string.Join(' ', literal), "arguments")], stream);
                        return;
                    }
                    using var reader = new StreamReader(io.OpenInput(parse.GetValue(input)), Encoding.UTF8);
                    SentenceModelHost.Decode(spm, Lines(reader), stream);
                });
                return ExitCodes.Success;
            }
            var tokenizer = new BytePieceTokenizer(CommonOptions.LoadModel(parse.GetValue(model)));
            var policy = parse.GetValue(errors) switch { "strict" => DecodePolicy.Strict, "ignore" => DecodePolicy.Ignore, _ => DecodePolicy.Replace };
            bool rawBytes = parse.GetValue(raw);
            io.WriteOutput(parse.GetValue(output), stream =>
            {
                var decoder = tokenizer.CreateIncrementalDecoder(policy);
                void Emit(int id)
                {
                    if (!tokenizer.Model.ContainsId(id) && (uint)id >= SpecialTokens.Count)
                        throw new CliException(ExitCodes.BadInput, $"id {id} is not in the model (ids go up to {tokenizer.VocabSize - 1})");
                    if (rawBytes)
                    {
                        if ((uint)id >= SpecialTokens.Count) stream.Write(tokenizer.Model.GetPieceBytes(id));
                    }
                    else
                    {
                        stream.Write(Encoding.UTF8.GetBytes(decoder.Append(id)));
                    }
                }
                if (literal.Length > 0)
                {
                    foreach (string item in literal)
                        foreach (string part in item.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                            Emit(CommonOptions.ParseId(part, "argument"));
                }
                else
                {
                    using var reader = new StreamReader(io.OpenInput(parse.GetValue(input)), Encoding.UTF8);
                    foreach (var (line, where) in Lines(reader))
                        foreach (string part in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                            Emit(CommonOptions.ParseId(part, where));
                }
                if (!rawBytes) stream.Write(Encoding.UTF8.GetBytes(decoder.Flush()));
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static IEnumerable<(string Line, string Where)> Lines(StreamReader reader)
    {
        long number = 0;
        while (reader.ReadLine() is { } line) yield return (line, $"line {++number}");
    }
}
