using System.Globalization;
using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary><c>decode</c> and <c>entropy</c> read their input as they go: memory follows a block, not the input.</summary>
public class CliStreamedCommandTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private static string TempFile(byte[] content)
    {
        string path = Path.Combine(RunFolder.NewFolder("streamed"), "input");
        File.WriteAllBytes(path, content);
        return path;
    }

    [SkippableFact]
    public void Decode_ALongLineOfIds_AcrossReadBlocks_EqualsTheLibrary()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        int[] ids = [.. tokenizer.EncodeToIds(Encoding.UTF8.GetString(SharedData.Corpus("zh", 300 << 10)))];
        // One line (no newline between chunks), tabs and CRs as separators too, a byte order mark first.
        string text = "\uFEFF" + string.Join(" ", ids.Select((id, k) => k % 7 == 0 ? $"\t{id}\r" : id.ToString(CultureInfo.InvariantCulture)));
        Assert.True(text.Length > 1 << 17);
        var (code, stdout, stderr) = CliRunner.Run(Encoding.UTF8.GetBytes(text), "decode", "--model", Model40k);
        Assert.True(code == 0, stderr);
        Assert.Equal(tokenizer.Decode(ids), Encoding.UTF8.GetString(stdout));
    }

    [SkippableFact]
    public void Decode_BadIds_NameTheirLine_OrTheArgument()
    {
        var (code, _, stderr) = CliRunner.Run("5 6\n\n7 x9\n", "decode", "--model", Model40k);
        Assert.Equal(3, code);
        Assert.Contains("\"x9\" (line 3)", stderr);
        (code, _, stderr) = CliRunner.Run("", "decode", "5", "99999999999", "--model", Model40k);
        Assert.Equal(3, code);
        Assert.Contains("\"99999999999\" (argument)", stderr);
        (code, _, stderr) = CliRunner.Run("1 2\n3 9999999\n", "decode", "--model", SentencePiecePeer.SharedModelPath("test_model.model"));
        Assert.Equal(3, code);
        Assert.Contains("9999999", stderr);
        Assert.Contains("line 2", stderr);
    }

    [SkippableFact]
    public void Decode_ALineOfIdsOfTwentyMegabytes_TakesFarLessMemoryThanItsSize()
    {
        string ids = string.Join(' ', Enumerable.Repeat("4000 17 123 99", 1_300_000)); // 20 MB, one line
        string path = TempFile(Encoding.ASCII.GetBytes(ids));
        long baseline = CliProcess.PeakMemory($"decode 4000 17 --model {Model40k}");
        long peak = CliProcess.PeakMemory($"decode --input {path} --model {Model40k}");
        // Holding the line as a string and its split words took 16 bytes per input byte.
        Assert.True(peak - baseline < ids.Length / 2, $"peak {peak:N0} bytes, baseline {baseline:N0}, input {ids.Length:N0}");
    }

    [SkippableFact]
    public void Entropy_IsTheSumOverChunks_AsTheLibraryComputesIt()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] corpus = SharedData.Corpus("en", 40 << 10);
        var (code, stdout, stderr) = CliRunner.Run(corpus, "entropy", "--model", Model40k, "--alpha", "0.5");
        Assert.True(code == 0, stderr);
        double printed = double.Parse(Encoding.UTF8.GetString(stdout).Split('\t')[0], CultureInfo.InvariantCulture);
        double sum = 0;
        for (int start = 0; start < corpus.Length;)
        {
            int end = Chunker.ChunkEnd(corpus, start);
            sum += tokenizer.Entropy(Encoding.UTF8.GetString(corpus, start, end - start), 0.5);
            start = end;
        }
        Assert.Equal(sum, printed);
        // The same quantity as one pass over the whole text, which rounds more: its log-sums and expected
        // score accumulate over the whole text (relative differences of 1e-9 at 40 KB, 1e-6 at 1 MB).
        double whole = tokenizer.Entropy(Encoding.UTF8.GetString(corpus), 0.5);
        Assert.True(Math.Abs(whole - printed) <= 1e-7 * whole, $"{printed} vs {whole}");
    }

    [SkippableFact]
    public void Entropy_InvalidUtf8_NamesItsOffset()
    {
        byte[] input = [.. Encoding.UTF8.GetBytes(new string('a', 70_000) + "\n"), .. "ok\nb"u8, 0xFF];
        var (code, _, stderr) = CliRunner.Run(input, "entropy", "--model", Model40k);
        Assert.Equal(3, code);
        Assert.Contains($"at byte {input.Length - 1}", stderr);
    }

    [SkippableFact]
    public void Entropy_OfTwoMegabytes_TakesMemoryOfABlock_NotOfALatticeOfTheText()
    {
        byte[] corpus = SharedData.Corpus("en", 2 << 20);
        string path = TempFile(corpus);
        long baseline = CliProcess.PeakMemory($"entropy hello --model {Model40k}");
        long peak = CliProcess.PeakMemory($"entropy --input {path} --model {Model40k}");
        // The whole text's lattice took about 190 bytes per input byte.
        Assert.True(peak - baseline < 10L * corpus.Length, $"peak {peak:N0} bytes, baseline {baseline:N0}, input {corpus.Length:N0}");
    }
}
