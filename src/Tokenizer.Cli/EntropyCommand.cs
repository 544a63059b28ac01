using System.CommandLine;
using System.Globalization;
using System.Text;

namespace BytePiece.Cli;

/// <summary><c>bytepiece entropy</c>: the exact entropy of the segmentation distribution P^alpha / Z.</summary>
internal static class EntropyCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Text to analyse. Without it, the input is read.");
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var alpha = new Option<double>("--alpha", "-a") { Description = "Inverse temperature (0 to 1e6).", DefaultValueFactory = _ => 1 };
        var command = new Command("entropy", "Print the entropy (nats, then bits) of the text's segmentation distribution P^alpha / Z.") { text, model, input, alpha };
        command.SetAction(parse =>
        {
            double a = parse.GetValue(alpha);
            if (!(a >= 0 && a <= SamplingOptions.MaxAlpha)) throw new CliException(ExitCodes.Usage, $"--alpha must be between 0 and {SamplingOptions.MaxAlpha:G}");
            string source = CommonOptions.ReadText(io, parse.GetValue(text), parse.GetValue(input));
            // A SentencePiece model reads the whole text as one sentence (spm's calculate_entropy).
            double nats = SentenceModel.TryLoad(parse.GetValue(model)) is { } spm
                ? spm.Entropy(source, a)
                : new BytePieceTokenizer(CommonOptions.LoadModel(parse.GetValue(model))).Entropy(source, a);
            string line = string.Create(CultureInfo.InvariantCulture, $"{nats:R}\t{nats / Math.Log(2):R}\n");
            io.Stdout.Write(Encoding.UTF8.GetBytes(line));
            return ExitCodes.Success;
        });
        return command;
    }
}
