using System.CommandLine;
using System.Globalization;
using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// <c>bytepiece sample</c>: several drawn segmentations of one sentence with their scores, spm's
/// <c>sample_encode_and_score</c> (and, with <c>--nbest-size</c>, its n-best sampling, SentencePiece models only);
/// SentencePiece and BytePiece models.
/// </summary>
internal static class SampleCommand
{
    public static Command Create(CliIO io)
    {
        var text = CommonOptions.Text("Sentence to segment. Without it, the input is read (as one sentence).");
        var model = CommonOptions.Model();
        var input = CommonOptions.Input();
        var alpha = new Option<double>("--alpha", "-a") { Description = "Inverse temperature (0 to 1e6): draws w with probability exp(alpha * score(w)) / Z.", DefaultValueFactory = _ => 0.1 };
        var seed = CommonOptions.Seed();
        var samples = new Option<int>("--samples", "-n") { Description = "How many segmentations.", DefaultValueFactory = _ => 5 };
        var wor = new Option<bool>("--without-replacement") { Description = "Distinct segmentations (exact Gumbel-top-k); scores are log inclusion probabilities." };
        var includeBest = new Option<bool>("--include-best") { Description = "With --without-replacement: the Viterbi segmentation first, score 0." };
        var nbestSize = new Option<int>("--nbest-size") { Description = "spm's SampleEncode instead: each line one draw from the N best (N > 1), tokens only. Default -1: all segmentations.", DefaultValueFactory = _ => -1 };
        var format = new Option<string>("--format", "-f") { Description = "ids or pieces.", DefaultValueFactory = _ => "ids" };
        format.AcceptOnlyFromAmong("ids", "pieces");
        var command = new Command("sample", "Print drawn segmentations of a text (SentencePiece .model, tokenizer.json or BytePiece model): score, a tab, the tokens.")
            { text, model, input, alpha, seed, samples, wor, includeBest, nbestSize, format };
        command.SetAction(parse =>
        {
            double a = parse.GetValue(alpha);
            if (!(a >= 0 && a <= SamplingOptions.MaxAlpha)) throw new CliException(ExitCodes.Usage, $"--alpha must be between 0 and {SamplingOptions.MaxAlpha:G}");
            int n = parse.GetValue(samples);
            if (n < 1) throw new CliException(ExitCodes.Usage, "--samples must be at least 1");
            if (parse.GetValue(includeBest) && !parse.GetValue(wor)) throw new CliException(ExitCodes.Usage, "--include-best needs --without-replacement (as in spm)");
            int nbest = parse.GetValue(nbestSize);
            if (nbest > 1 && parse.GetValue(wor)) throw new CliException(ExitCodes.Usage, "--nbest-size and --without-replacement are different regimes; choose one");
            UnigramTokenizer loaded = CommonOptions.LoadTokenizer(parse.GetValue(model));
            SentenceModel? sentences = SentenceModel.Of(loaded);
            var spm = sentences as SentencePieceSentences;
            var bytePiece = loaded as BytePieceTokenizer;
            if (spm is null && nbest > 1) throw new CliException(ExitCodes.Usage, "--nbest-size is SentencePiece's regime; it needs a .model");
            string source = CommonOptions.ReadText(io, parse.GetValue(text), parse.GetValue(input));
            bool pieces = parse.GetValue(format) == "pieces";
            Func<int, string> show = sentences is not null ? sentences.Vocabulary.PieceText : id => PieceText.FormatForListing(bytePiece!.Model.GetPieceBytes(id));
            // Lines go out as the samples come: with replacement nothing grows with --samples; without it the
            // search (bounded by SamplingOptions.MaxSearchHypotheses, exit 5 beyond) ends before the first line.
            using var writer = new StreamWriter(io.Stdout, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            void Line(string? score, IReadOnlyList<int> ids)
            {
                if (score is not null) writer.Write(score + "\t");
                writer.Write(string.Join(' ', pieces ? ids.Select(show) : ids.Select(id => id.ToString(CultureInfo.InvariantCulture))));
                writer.Write('\n');
            }
            ulong s = parse.GetValue(seed);
            if (nbest > 1)
            {
                for (int i = 0; i < n; i++) Line(null, spm!.Tokenizer.SampleEncode(source, new SamplingOptions(a, s, i), nbest));
            }
            else
            {
                var options = new SamplingOptions(a, s);
                bool withoutReplacement = parse.GetValue(wor), best = parse.GetValue(includeBest);
                UnigramTokenizer tokenizer = sentences?.Unigram ?? bytePiece!;
                IEnumerable<ScoredSegmentation> samples = tokenizer.EnumerateSampleEncodeAndScore(source, options, n, withoutReplacement, best);
                foreach (ScoredSegmentation sample in samples) Line(sample.Score.ToString("R", CultureInfo.InvariantCulture), sample.Ids);
            }
            writer.Flush();
            return ExitCodes.Success;
        });
        return command;
    }
}
