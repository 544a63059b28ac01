using System.CommandLine;

namespace BytePiece.Cli;

/// <summary><c>bytepiece convert</c>: between BytePiece JSON and the native binary format; a SentencePiece model to tokenizer.json.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Option<string?>("--model", "-m")
        {
            Description = "Model to convert: BytePiece JSON or native (.bpm), to the other BytePiece format; or SentencePiece .model, to HuggingFace tokenizer.json. "
                + "A tokenizer.json is already the portable form: encode, decode and the other commands read it as it is. Default: the embedded BytePiece model.",
        };
        var output = new Option<string>("--output", "-o") { Description = "Output model file (.bpm: native; anything else: BytePiece JSON).", Required = true };
        var to = new Option<string?>("--to") { Description = "Output format, overriding the extension: json or native (BytePiece models); a SentencePiece .model is written as HuggingFace tokenizer.json." };
        to.AcceptOnlyFromAmong("json", "native", "tokenizer.json");
        var command = new Command("convert", "Convert a model between BytePiece JSON and the native format, or a SentencePiece model to tokenizer.json.") { model, output, to };
        command.SetAction(parse =>
        {
            UnigramTokenizer loadedTokenizer = CommonOptions.LoadTokenizer(parse.GetValue(model));
            if (SentenceModel.Of(loadedTokenizer) is SentencePieceSentences spm)
            {
                if (parse.GetValue(to) is "json" or "native") throw new CliException(ExitCodes.Usage, "a SentencePiece model converts only to tokenizer.json");
                TokenizerJsonWriter.Write(spm.Tokenizer.Model, parse.GetValue(output)!);
                io.Stderr.WriteLine($"wrote {parse.GetValue(output)} (HuggingFace tokenizer.json, Unigram, {spm.VocabSize} pieces)");
                return ExitCodes.Success;
            }
            if (parse.GetValue(to) == "tokenizer.json") throw new CliException(ExitCodes.Usage, "only SentencePiece models convert to tokenizer.json");
            UnigramModel loaded = loadedTokenizer is BytePieceTokenizer bytePiece ? bytePiece.Model : CommonOptions.LoadModel(parse.GetValue(model), "convert reads BytePiece models and SentencePiece .model files (a tokenizer.json is read as it is by encode, decode and the other commands)");
            string path = parse.GetValue(output)!;
            ModelFileFormat format = parse.GetValue(to) switch
            {
                "json" => ModelFileFormat.BytePieceJson,
                "native" => ModelFileFormat.Native,
                _ => ModelFile.FormatFromExtension(path),
            };
            ModelFile.Save(loaded, path, format);
            io.Stderr.WriteLine($"wrote {path} ({format}, {loaded.PieceCount} pieces)");
            return ExitCodes.Success;
        });
        return command;
    }
}
