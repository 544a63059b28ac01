using System.CommandLine;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece info</c>: what a model file holds.</summary>
internal static class InfoCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var command = new Command("info", "Show a model's size, longest piece and normalization.") { model };
        command.SetAction(parse =>
        {
            string? path = parse.GetValue(model);
            UnigramTokenizer loaded = CommonOptions.LoadTokenizer(path);
            if (SentenceModel.Of(loaded) is { } spm)
            {
                io.Stdout.Write(Encoding.UTF8.GetBytes(spm.Info(path!)));
                return ExitCodes.Success;
            }
            UnigramModel m = ((BytePieceTokenizer)loaded).Model;
            var text = new StringBuilder()
                .AppendLine(path is null ? $"file           (embedded default model {DefaultModel.Name}, Native)" : $"file           {path} ({ModelFile.Detect(File.ReadAllBytes(path))})")
                .AppendLine($"pieces         {m.PieceCount}")
                .AppendLine($"vocab size     {m.VocabSize} (ids 0-2: <pad> <bos> <eos>)")
                .AppendLine($"longest piece  {m.MaxPieceLength} bytes")
                .AppendLine($"total count    {m.TotalCount}")
                .AppendLine($"normalization  {m.Normalization}");
            io.Stdout.Write(Encoding.UTF8.GetBytes(text.ToString()));
            return ExitCodes.Success;
        });
        return command;
    }
}
