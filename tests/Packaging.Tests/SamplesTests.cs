using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace BytePiece.Packaging.Tests;

/// <summary>Each sample under <c>samples/</c> runs (built by this solution) and prints what the library computes.</summary>
public class SamplesTests
{
    private static string SampleDll(string name) =>
        Path.Combine(Repository.Root, "samples", name, "bin", Repository.Configuration, "net10.0", name + ".dll");

    [Fact]
    public void TokenBudgetCountsTrimsAndStreams()
    {
        string file = Path.Combine(Repository.Root, "README.md");
        var run = ProcessRunner.Run(ProcessRunner.Dotnet, [SampleDll("TokenBudget"), file, "--budget", "7"]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var tokenizer = BytePieceTokenizer.Default;
        string text = Regex.Match(run.Stdout, "^text: (.*)$", RegexOptions.Multiline).Groups[1].Value;
        Assert.NotEmpty(text);
        Assert.Contains($"tokens: {tokenizer.CountTokens(text)}\n", run.Stdout);
        int index = tokenizer.GetIndexByTokenCount(text, 7, out int used);
        Assert.Contains($"first 7 tokens ({used} used): {text[..index]}\n", run.Stdout);
        Assert.Equal(7, tokenizer.CountTokens(text[..index]));
        long streamed = tokenizer.EncodeBytes(File.ReadAllBytes(file)).Length;
        Assert.Contains($"streamed README.md: {new FileInfo(file).Length} bytes, {streamed} tokens\n", run.Stdout);
    }

    [Fact]
    public void SubwordRegularizationIsReproducibleLosslessAndVaries()
    {
        string[] args = [SampleDll("SubwordRegularization"), "--alpha", "0.1", "--epochs", "3"];
        var first = ProcessRunner.Run(ProcessRunner.Dotnet, args);
        var second = ProcessRunner.Run(ProcessRunner.Dotnet, args);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(first.Stdout, second.Stdout);  // the seeds come from (epoch, index): a rerun draws the same ids

        var tokenizer = BytePieceTokenizer.Default;
        var viterbi = new Dictionary<int, string>();
        foreach (Match m in Regex.Matches(first.Stdout, @"^viterbi example (\d+): \d+ tokens: ([\d ]+)$", RegexOptions.Multiline))
            viterbi[int.Parse(m.Groups[1].Value)] = tokenizer.Decode(Ids(m.Groups[2].Value));
        Assert.Equal(3, viterbi.Count);

        var perExample = new Dictionary<int, HashSet<string>>();
        foreach (Match m in Regex.Matches(first.Stdout, @"^epoch (\d+) example (\d+): \d+ tokens: ([\d ]+)$", RegexOptions.Multiline))
        {
            int example = int.Parse(m.Groups[2].Value);
            int[] ids = Ids(m.Groups[3].Value);
            Assert.Equal(SpecialTokens.BosId, ids[0]);
            Assert.Equal(SpecialTokens.EosId, ids[^1]);
            Assert.Equal(viterbi[example], tokenizer.Decode(ids));  // every sampled segmentation spells the example
            (perExample.TryGetValue(example, out var set) ? set : perExample[example] = []).Add(m.Groups[3].Value);
        }
        Assert.Equal(3, perExample.Count);
        Assert.All(perExample.Values, set => Assert.True(set.Count > 1, "sampling gave the same ids every epoch"));
    }

    [Fact]
    public async Task WebApiAnswersOneRequestOnLoopbackThenExits()
    {
        var psi = ProcessRunner.StartInfo(ProcessRunner.Dotnet,
            [SampleDll("WebApi"), "--urls", "http://127.0.0.1:0", "--exit-after", "2"]);
        psi.WorkingDirectory = Path.Combine(Repository.Root, "samples", "WebApi");
        using var server = Process.Start(psi)!;
        try
        {
            string? address = null;
            var output = new StringBuilder();
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (address is null)
                {
                    string? line = await server.StandardOutput.ReadLineAsync(deadline.Token);
                    if (line is null)
                        Assert.Fail("the server exited before listening:\n" + output + await server.StandardError.ReadToEndAsync());
                    output.AppendLine(line);
                    if (Regex.Match(line!, @"Now listening on: (http://127\.0\.0\.1:\d+)") is { Success: true } m) address = m.Groups[1].Value;
                }
            }
            _ = server.StandardOutput.ReadToEndAsync();

            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
            const string text = "广州的白云机场 is an airport.";
            using var response = await client.PostAsync("/tokenize", new StringContent(text, Encoding.UTF8, "text/plain"));
            Assert.True(response.IsSuccessStatusCode, response.ToString());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var tokens = BytePieceTokenizer.Default.EncodeToTokens(text);
            Assert.Equal(tokens.Select(t => t.Id), json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(tokens.Count, json.RootElement.GetProperty("count").GetInt32());
            var spans = json.RootElement.GetProperty("tokens").EnumerateArray()
                .Select(t => text[t.GetProperty("start").GetInt32()..t.GetProperty("end").GetInt32()]);
            Assert.Equal(tokens.Select(t => text[t.Offset]), spans);

            byte[] big = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(text + "\n", 5000)));
            using var counted = await client.PostAsync("/count", new ByteArrayContent(big));
            using var countJson = JsonDocument.Parse(await counted.Content.ReadAsStringAsync());
            Assert.Equal(BytePieceTokenizer.Default.EncodeBytes(big).Length, countJson.RootElement.GetProperty("count").GetInt32());

            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "the server did not stop after its requests");
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    private static int[] Ids(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
}
