using System.CommandLine;
using System.Globalization;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece nbest</c>: the k most probable segmentations, best first, with their log-probabilities.</summary>
internal static class NBestCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Text to segment. Without it, the input is read.");
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var k = new Option<int>("--k", "-k") { Description = "How many segmentations.", DefaultValueFactory = _ => 5 };
        var format = new Option<string>("--format", "-f") { Description = "ids or pieces.", DefaultValueFactory = _ => "ids" };
        format.AcceptOnlyFromAmong("ids", "pieces");
        var command = new Command("nbest", "Print the k most probable segmentations: log-probability, a tab, the tokens.") { text, model, input, k, format };
        command.SetAction(parse =>
        {
            if (parse.GetValue(k) < 1) throw new CliException(ExitCodes.Usage, "--k must be at least 1");
            string source = CommonOptions.ReadText(io, parse.GetValue(text), parse.GetValue(input));
            bool pieces = parse.GetValue(format) == "pieces";
            IReadOnlyList<Segmentation> best;
            Func<int, string> show;
            if (SentenceModel.TryLoad(parse.GetValue(model)) is { } spm)
            {
                // The whole text is one sentence, as in the Python binding's nbest_encode.
                best = spm.NBest(source, parse.GetValue(k));
                show = spm.Vocabulary.PieceText;
            }
            else
            {
                var tokenizer = new BytePieceTokenizer(CommonOptions.LoadModel(parse.GetValue(model)));
                best = tokenizer.NBest(source, parse.GetValue(k));
                show = id => PieceText.FormatForListing(tokenizer.Model.GetPieceBytes(id));
            }
            var sb = new StringBuilder();
            foreach (Segmentation s in best)
            {
                sb.Append(s.LogProb.ToString("R", CultureInfo.InvariantCulture)).Append('\t');
                sb.AppendJoin(' ', pieces ? s.Ids.Select(show) : s.Ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
                sb.Append('\n');
            }
            io.Stdout.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            return ExitCodes.Success;
        });
        return command;
    }
}
