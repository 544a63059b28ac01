using System.Diagnostics;
using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>The command line with SentencePiece models: a sentence per line, output as spm_encode/spm_decode write it.</summary>
public class CliSentencePieceTests
{
    private static string JaModel => SentencePiecePeer.SharedModelPath("test_ja_model.model");

    private static string EscapeControls(string piece) => string.Concat(piece.EnumerateRunes().Select(r =>
        Rune.IsControl(r) ? string.Concat(Encoding.UTF8.GetBytes(r.ToString()).Select(b => $"<0x{b:X2}>")) : r.ToString()));

    /// <summary>Real lines and edge cases; some are not valid UTF-8, which spm_encode replaces as --raw lets the model do.</summary>
    private static byte[] Input()
    {
        var lines = SentencePiecePeer.RealLines(1500).Concat(SentencePiecePeer.EdgeCases()).Where(l => l.AsSpan().IndexOf((byte)'\r') < 0).ToList();
        using var text = new MemoryStream();
        foreach (byte[] line in lines)
        {
            text.Write(line);
            text.WriteByte((byte)'\n');
        }
        return text.ToArray();
    }

    [SkippableTheory]
    [InlineData("id", "ids", "")]
    [InlineData("piece", "pieces", "")]
    [InlineData("id", "ids", "bos:eos")]
    [InlineData("piece", "pieces", "bos:eos")]
    public void Encode_EqualsSpmEncode_LineByLine(string spmFormat, string ourFormat, string extra)
    {
        byte[] input = Input();
        var args = new List<string> { "encode", "--model", JaModel, "--format", ourFormat, "--quiet", "--raw", "--threads", "2" };
        if (extra.Contains("bos")) args.Add("--bos");
        if (extra.Contains("eos")) args.Add("--eos");
        var (code, stdout, stderr) = CliRunner.Run(input, [.. args]);
        Assert.True(code == 0, stderr);
        string expected = RunSpm("spm_encode", $"--model={JaModel} --output_format={spmFormat}" + (extra.Length > 0 ? $" --extra_options={extra}" : ""), input);
        // spm_encode writes control characters in pieces as they are (a CR would break the line); we show their bytes.
        if (ourFormat == "pieces") expected = string.Join('\n', expected.Split('\n').Select(line => string.Join(' ', line.Split(' ').Select(EscapeControls))));
        Assert.Equal(expected, Encoding.UTF8.GetString(stdout));
    }

    /// <summary>Empty sentences keep their output line wherever they are, the last one included (found by bench/compare.sh).</summary>
    [SkippableTheory]
    [InlineData("a\n\n")]
    [InlineData("\n")]
    [InlineData("\n\n\n")]
    [InlineData("a\n\nb\n\n")]
    [InlineData("a")]
    [InlineData("")]
    public void Encode_EmptyAndUnterminatedLines_AsSpmEncode(string text)
    {
        byte[] input = Encoding.UTF8.GetBytes(text);
        foreach (var (spmFormat, ourFormat) in new[] { ("id", "ids"), ("piece", "pieces") })
        {
            var (code, stdout, stderr) = CliRunner.Run(input, "encode", "--model", JaModel, "--format", ourFormat, "--quiet", "--raw");
            Assert.True(code == 0, stderr);
            Assert.Equal(RunSpm("spm_encode", $"--model={JaModel} --output_format={spmFormat}", input), Encoding.UTF8.GetString(stdout));
        }
    }

    [SkippableFact]
    public void Threads_DoNotChangeTheOutput()
    {
        byte[] input = Input();
        var one = CliRunner.Run(input, "encode", "--model", JaModel, "--threads", "1", "--quiet", "--raw");
        var two = CliRunner.Run(input, "encode", "--model", JaModel, "--threads", "2", "--quiet", "--raw", "--format", "bin32");
        Assert.Equal(0, one.Code);
        int[] ids = Encoding.UTF8.GetString(one.Stdout).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(ids, Enumerable.Range(0, two.Stdout.Length / 4).Select(k => BitConverter.ToInt32(two.Stdout, 4 * k)));
    }

    [SkippableFact]
    public void Sampling_IsReproducible_AndIndependentOfThreads_AndEqualsTheLibrary()
    {
        byte[] input = Input();
        var one = CliRunner.Run(input, "encode", "--model", JaModel, "--alpha", "0.2", "--seed", "7", "--threads", "1", "--quiet", "--raw");
        var two = CliRunner.Run(input, "encode", "--model", JaModel, "--alpha", "0.2", "--seed", "7", "--threads", "2", "--quiet", "--raw");
        var viterbi = CliRunner.Run(input, "encode", "--model", JaModel, "--quiet", "--raw");
        Assert.Equal(0, one.Code);
        Assert.Equal(one.Stdout, two.Stdout);
        Assert.NotEqual(viterbi.Stdout, one.Stdout);
        var tokenizer = SentencePieceTokenizer.Load(JaModel);
        string[] lines = Encoding.UTF8.GetString(one.Stdout).Split('\n');
        var inputLines = SentencePiecePeer.SplitLines(input).ToList();
        for (int i = 0; i < inputLines.Count; i += 97)
            Assert.Equal(string.Join(" ", tokenizer.EncodeToIds(inputLines[i], new SamplingOptions(0.2, 7, FirstChunk: i))), lines[i]);
    }

    [SkippableFact]
    public void NBestAndEntropy_EqualTheLibrary()
    {
        var tokenizer = SentencePieceTokenizer.Load(JaModel);
        var (code, stdout, _) = CliRunner.Run("", "nbest", "吾輩は猫である", "--model", JaModel, "-k", "3");
        Assert.Equal(0, code);
        Assert.Equal(tokenizer.NBest("吾輩は猫である", 3).Select(s => string.Join(" ", s.Ids)), stdout.TrimEnd('\n').Split('\n').Select(l => l.Split('\t')[1]));
        (code, stdout, _) = CliRunner.Run("", "entropy", "吾輩は猫である", "--model", JaModel, "--alpha", "0.5");
        Assert.Equal(0, code);
        Assert.Equal(tokenizer.Entropy("吾輩は猫である", 0.5), double.Parse(stdout.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    [SkippableFact]
    public void Sample_EqualsTheLibrary_AndRefusesWhatSpmRefuses()
    {
        const string text = "吾輩は猫である";
        var tokenizer = SentencePieceTokenizer.Load(JaModel);
        var (code, stdout, _) = CliRunner.Run("", "sample", text, "--model", JaModel, "-n", "3", "--alpha", "0.3", "--seed", "9", "--without-replacement", "--include-best");
        Assert.Equal(0, code);
        var expected = tokenizer.SampleEncodeAndScore(text, new SamplingOptions(0.3, 9), 3, true, true);
        Assert.Equal(expected.Select(s => s.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "\t" + string.Join(" ", s.Ids)), stdout.TrimEnd('\n').Split('\n'));
        (code, stdout, _) = CliRunner.Run("", "sample", text, "--model", JaModel, "-n", "4", "--alpha", "0.3", "--seed", "9", "--nbest-size", "3");
        Assert.Equal(0, code);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => string.Join(" ", tokenizer.SampleEncode(text, new SamplingOptions(0.3, 9, i), 3))), stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal(1, CliRunner.Run("", "sample", text, "--model", JaModel, "--include-best").Code);
        Assert.Equal(1, CliRunner.Run("", "sample", text, "--model", JaModel, "-n", "0").Code);
    }

    [SkippableFact]
    public void Decode_EqualsSpmDecode()
    {
        byte[] input = Input();
        string ids = Encoding.UTF8.GetString(CliRunner.Run(input, "encode", "--model", JaModel, "--quiet", "--raw").Stdout);
        var (code, stdout, stderr) = CliRunner.Run(ids, "decode", "--model", JaModel);
        Assert.True(code == 0, stderr);
        Assert.Equal(RunSpm("spm_decode", $"--model={JaModel} --input_format=id", Encoding.UTF8.GetBytes(ids)), stdout);
    }

    [SkippableFact]
    public void BadIdsAndOptions_ClearErrors()
    {
        var (code, _, stderr) = CliRunner.Run("5 99999\n", "decode", "--model", JaModel);
        Assert.Equal(3, code);
        Assert.Contains("99999", stderr);
        (code, _, stderr) = CliRunner.Run([0x61, 0x0A, 0xC3], "encode", "--model", JaModel);
        Assert.Equal(3, code);
        Assert.Contains("at byte 2", stderr);
    }

    [SkippableFact]
    public void Info_DescribesTheModel()
    {
        var (code, stdout, _) = CliRunner.Run("", "info", "--model", JaModel);
        Assert.Equal(0, code);
        Assert.Contains("SentencePiece Unigram", stdout);
        Assert.Contains("vocab size     8000", stdout);
    }

    private static string RunSpm(string program, string args, byte[] stdin)
    {
        Prerequisites.Require(Prerequisite.SentencePieceTools);
        var psi = new ProcessStartInfo(program, args) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return stdout.Result;
    }
}

/// <summary>The command line with a tokenizer.json: a sentence per line, ids as the library (itself checked against HF) gives them.</summary>
public class CliTokenizerJsonTests
{
    [SkippableFact]
    public void ConvertThenEncodeAndDecode_EqualTheLibrary()
    {
        string json = Path.Combine(Path.GetTempPath(), $"bytepiece-cli-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, stderr) = CliRunner.Run("", "convert", "--model", SentencePiecePeer.SharedModelPath("test_ja_model.model"), "--output", json);
            Assert.True(code == 0, stderr);
            var hf = HuggingFaceTokenizer.Load(json);
            List<byte[]> lines = SentencePiecePeer.RealLines(300);
            byte[] input = lines.SelectMany(l => l.Append((byte)'\n')).ToArray();
            (code, byte[] stdout, stderr) = CliRunner.Run(input, "encode", "--model", json, "--quiet", "--raw");
            Assert.True(code == 0, stderr);
            string[] outLines = Encoding.UTF8.GetString(stdout).Split('\n');
            for (int i = 0; i < lines.Count; i++) Assert.Equal(string.Join(" ", hf.EncodeToIds(Encoding.UTF8.GetString(lines[i]))), outLines[i]);
            var decoded = CliRunner.Run(Encoding.UTF8.GetString(stdout), "decode", "--model", json);
            Assert.Equal(0, decoded.Code);
            Assert.Equal(string.Join("", outLines.Take(lines.Count).Select(l => hf.Decode(l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList()) + "\n")), decoded.Stdout);
            var sampled = CliRunner.Run(input, "encode", "--model", json, "--quiet", "--raw", "--alpha", "0.3", "--seed", "5", "--threads", "2");
            Assert.Equal(0, sampled.Code);
            Assert.Equal(CliRunner.Run(input, "encode", "--model", json, "--quiet", "--raw", "--alpha", "0.3", "--seed", "5", "--threads", "1").Stdout, sampled.Stdout);
            Assert.NotEqual(stdout, sampled.Stdout);
            const string text = "吾輩は猫である";
            var (sampleCode, scored, sampleErr) = CliRunner.Run("", "sample", text, "--model", json, "-n", "3", "--alpha", "0.3", "--seed", "9", "--without-replacement", "--include-best");
            Assert.True(sampleCode == 0, sampleErr);
            var expected = hf.SampleEncodeAndScore(text, new SamplingOptions(0.3, 9), 3, true, true);
            Assert.Equal(expected.Select(x => x.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "\t" + string.Join(" ", x.Ids)), scored.TrimEnd('\n').Split('\n'));
            Assert.Equal(1, CliRunner.Run("", "sample", text, "--model", json, "--nbest-size", "3").Code);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
