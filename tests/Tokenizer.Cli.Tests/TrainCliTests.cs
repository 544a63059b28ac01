using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary><c>bytepiece train</c>, run in-process.</summary>
public class TrainCliTests
{
    [SkippableFact]
    public void Train_FromFileAndStdin_WritesEachSize_InTheFormatItsNameAsks()
    {
        string dir = Directory.CreateTempSubdirectory("bytepiece-train").FullName;
        try
        {
            byte[] text = SharedData.Corpus("zh", 400_000);
            string input = Path.Combine(dir, "corpus.txt");
            File.WriteAllBytes(input, text);
            string output = Path.Combine(dir, "model.bpm");
            var (code, _, stderr) = CliRunner.Run([], "train", "--input", input, "--vocab-size", "2000", "1000", "--output", output);
            Assert.True(code == 0, stderr);
            Assert.Contains("held-out bytes/token", stderr);
            Assert.Contains("peak memory", stderr);
            UnigramModel large = ModelFile.Load(Path.Combine(dir, "model.2000.bpm"));
            UnigramModel small = ModelFile.Load(Path.Combine(dir, "model.1000.bpm"));
            Assert.True(large.VocabSize is <= 2000 and > 1500 && small.VocabSize is <= 1000 and > 700);

            // The same text from stdin, to BytePiece JSON: the same model.
            string json = Path.Combine(dir, "stdin.json");
            (code, _, stderr) = CliRunner.Run(text, "train", "-i", "-", "-v", "2000", "-o", json, "--quiet", "--threads", "1");
            Assert.True(code == 0, stderr);
            Assert.Equal("", stderr);
            Assert.Equal(large.Pieces.Select(p => (Convert.ToHexString(p.Bytes.Span), p.Count)),
                ModelFile.Load(json).Pieces.Select(p => (Convert.ToHexString(p.Bytes.Span), p.Count)));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void Train_FromADirectory_TheCommittedSamples()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Tokenizer.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("repository root");
        string output = Path.Combine(Path.GetTempPath(), $"bytepiece-sample-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, stderr) = CliRunner.Run([], "train", "-i", Path.Combine(dir, "corpora", "sample"), "-v", "1000", "-o", output, "-t", "2");
            Assert.True(code == 0, stderr);
            UnigramModel model = ModelFile.Load(output);
            Assert.True(model.VocabSize is <= 1000 and > 900, $"{model.VocabSize}");
            Assert.True(model.TryGetId("的"u8, out _)); // all three samples were read
            Assert.True(model.TryGetId("def"u8, out _));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [SkippableTheory]
    [InlineData(1, "--vocab-size", "100")]
    [InlineData(1, "--order", "9")]
    [InlineData(1, "--max-memory", "lots")]
    public void Train_BadOptions_ExitWithUsageError(int expected, string option, string value)
    {
        string dir = Directory.CreateTempSubdirectory("bytepiece-train").FullName;
        try
        {
            string input = Path.Combine(dir, "in.txt");
            File.WriteAllText(input, "abc");
            var args = new List<string> { "train", "-i", input, "-o", Path.Combine(dir, "m.bpm"), option, value };
            if (option != "--vocab-size") args.AddRange(["-v", "1000"]);
            var (code, _, stderr) = CliRunner.Run([], [.. args]);
            Assert.Equal(expected, code);
            Assert.StartsWith("bytepiece: ", stderr);
            Assert.False(File.Exists(Path.Combine(dir, "m.bpm")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void Train_MissingInput_ExitsWithIoError()
    {
        var (code, _, stderr) = CliRunner.Run([], "train", "-i", "/nonexistent/in.txt", "-v", "1000", "-o", "/tmp/never.bpm");
        Assert.Equal(4, code);
        Assert.Contains("/nonexistent/in.txt", stderr);
    }
}
