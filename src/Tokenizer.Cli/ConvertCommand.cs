using System.CommandLine;

namespace BytePiece.Cli;

/// <summary><c>bytepiece convert</c>: between BytePiece JSON and the native binary format.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Output model file (.bpm: native; anything else: BytePiece JSON).", Required = true };
        var to = new Option<string?>("--to") { Description = "Output format, overriding the extension: json or native." };
        to.AcceptOnlyFromAmong("json", "native");
        var command = new Command("convert", "Convert a model between BytePiece JSON and the native format.") { model, output, to };
        command.SetAction(parse =>
        {
            UnigramModel loaded = CommonOptions.LoadModel(parse.GetValue(model));
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
