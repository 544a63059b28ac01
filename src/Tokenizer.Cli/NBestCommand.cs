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
            int count = parse.GetValue(k);
            if (count < 1) throw new CliException(ExitCodes.Usage, "--k must be at least 1");
            string source = CommonOptions.ReadText(io, parse.GetValue(text), parse.GetValue(input));
            bool pieces = parse.GetValue(format) == "pieces";
            IReadOnlyList<Segmentation> best;
            Func<int, string> show;
            try
            {
                UnigramTokenizer loaded = CommonOptions.LoadTokenizer(parse.GetValue(model));
                if (SentenceModel.Of(loaded) is { } spm)
                {
                    // The whole text is one sentence, as in the Python binding's nbest_encode.
                    best = spm.Unigram.NBest(source, count, io.Cancellation);
                    show = spm.Vocabulary.PieceText;
                }
                else
                {
                    var tokenizer = (BytePieceTokenizer)loaded;
                    best = tokenizer.NBest(source, count, io.Cancellation);
                    show = id => PieceText.FormatForListing(tokenizer.Model.GetPieceBytes(id));
                }
            }
            catch (ArgumentOutOfRangeException e) when (e.ParamName == "k")
            {
                throw new CliException(ExitCodes.Usage, $"--k {count}: {e.Message.Split(" (Parameter")[0]}");
            }
            // One line at a time: k may be large, and the text of all of them need not be held at once.
            var output = new BufferedStream(io.Stdout, 1 << 16);
            var sb = new StringBuilder();
            foreach (Segmentation s in best)
            {
                io.Cancellation.ThrowIfCancellationRequested();
                sb.Clear();
                sb.Append(s.LogProb.ToString("R", CultureInfo.InvariantCulture)).Append('\t');
                sb.AppendJoin(' ', pieces ? s.Ids.Select(show) : s.Ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
                sb.Append('\n');
                output.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            }
            output.Flush(); // not disposed: that would close stdout
            return ExitCodes.Success;
        });
        return command;
    }
}
