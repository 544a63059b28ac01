using System.IO.Compression;
using System.Text.Json;
using Xunit;

namespace BytePiece.Packaging.Tests;

/// <summary>
/// The library package seen from outside: a program that references only the packed <c>BytePiece.Tokenizer</c>
/// (Microsoft.ML.Tokenizers comes in as its dependency) and uses only Microsoft.ML.Tokenizers' <c>Tokenizer</c>
/// API encodes with each of our three families exactly as the packed <c>bytepiece</c> tool does.
/// </summary>
public sealed partial class PackagingTests
{
    private const string MlTokenizersVersion = "3.0.0";

    /// <summary>
    /// The consumer's whole source. Usage: <c>Consumer TEXT (lines|chunks) MODEL [(lines|chunks) MODEL]...</c>, MODEL
    /// "default" for the embedded model. Per model: <c>"# " + the tokenizer's type</c>, then for each line of TEXT the
    /// ids of <c>EncodeToIds</c> (lines: the line without its '\n'; chunks: with it), space-separated, a line each.
    /// </summary>
    private const string ConsumerProgram = """
        using Microsoft.ML.Tokenizers;

        string[] lines = File.ReadAllText(args[0]).Split('\n')[..^1];
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            bool chunks = args[i] switch { "chunks" => true, "lines" => false, _ => throw new ArgumentException(args[i]) };
            // Typed as ML's Tokenizer at once: everything below is Microsoft.ML.Tokenizers' API.
            Tokenizer tokenizer = args[i + 1] == "default" ? BytePiece.BytePieceTokenizer.Default : BytePiece.TokenizerFile.Load(args[i + 1]);
            Console.WriteLine("# " + tokenizer.GetType().FullName);
            foreach (string line in lines)
                Console.WriteLine(string.Join(' ', tokenizer.EncodeToIds(chunks ? line + "\n" : line)));
        }
        """;

    [Fact]
    public void TokenizerPackageDependsOnMicrosoftMlTokenizersAndNothingElse()
    {
        using var package = ZipFile.OpenRead(Path.Combine(_packages.Feed, $"BytePiece.Tokenizer.{Version}.nupkg"));
        var metadata = Metadata(package, "BytePiece.Tokenizer");
        var dependency = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "dependency");
        Assert.Equal("Microsoft.ML.Tokenizers", dependency.Attribute("id")?.Value);
        Assert.Equal(MlTokenizersVersion, dependency.Attribute("version")?.Value);
        Assert.Equal("net10.0", dependency.Parent?.Attribute("targetFramework")?.Value);
    }

    [Fact]
    public void AProgramReferencingOnlyThePackedPackageEncodesWithEveryFamilyThroughMlTokenizersAsTheToolDoes()
    {
        string work = Directory.CreateDirectory(Path.Combine(_packages.Root, "ml-consumer")).FullName;
        string[] lines = TextLines();
        string text = Path.Combine(work, "text.txt");
        File.WriteAllText(text, string.Concat(lines.Select(l => l + "\n")));  // UTF-8, no BOM

        string spm = Path.Combine(Repository.Root, "tests", "data", "models", "sentencepiece", "test_model.model");
        string tokenizerJson = Path.Combine(work, "tokenizer.json");
        TokenizerJsonWriter.Write(ModelFile.LoadSentencePiece(spm), tokenizerJson);
        // BytePiece cuts its input into chunks at line ends (a line and its newline) and the tool prints a line of ids
        // per chunk; sentence models (.model, tokenizer.json) take a line without its newline, a line of ids each.
        (string Family, string Mode, string? Model)[] models =
        [
            ("BytePiece.BytePieceTokenizer", "chunks", null),
            ("BytePiece.BytePieceTokenizer", "chunks", Path.Combine(Repository.Root, "tests", "data", "models", "bytepiece", "bytepiece.eu.plus.40k.model")),
            ("BytePiece.SentencePieceTokenizer", "lines", spm),
            ("BytePiece.HuggingFaceTokenizer", "lines", tokenizerJson),
        ];

        string consumer = BuildConsumer(Path.Combine(work, "Consumer"));
        var run = ProcessRunner.Run(ProcessRunner.Dotnet,
            [consumer, text, .. models.SelectMany(m => new[] { m.Mode, m.Model ?? "default" })]);
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] output = run.Stdout.Split('\n');
        Assert.Equal(models.Length * (lines.Length + 1) + 1, output.Length);  // a header and the lines per model, a final '\n'

        var (install, bytepiece, environment) = _packages.Tool;
        Assert.True(install.ExitCode == 0, install.ToString());
        for (int m = 0; m < models.Length; m++)
        {
            var (family, _, model) = models[m];
            string[] section = output[(m * (lines.Length + 1))..((m + 1) * (lines.Length + 1))];
            Assert.Equal("# " + family, section[0]);

            var cli = ProcessRunner.Run(bytepiece,
                ["encode", "--input", text, "--quiet", .. model is null ? Array.Empty<string>() : ["--model", model]], environment);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            string[] expected = cli.Stdout.Split('\n')[..^1];
            Assert.Equal(lines.Length, expected.Length);
            for (int i = 0; i < lines.Length; i++)
            {
                Assert.False(expected[i].Length == 0, $"{model ?? "default"}: the tool gave no ids for line {i}");
                Assert.True(expected[i] == section[i + 1],
                    $"{family} ({model ?? "default"}), line {i} \"{lines[i]}\":\n  tool:     {expected[i]}\n  ML's API: {section[i + 1]}");
            }
        }
    }

    /// <summary>
    /// Real text from tests/data, a line each (no empty lines, no control characters): English (Botchan), Japanese
    /// (I Am a Cat), and Chinese and code lines from the golden texts (Debian documentation).
    /// </summary>
    private static string[] TextLines()
    {
        static bool Clean(string line) =>
            line.Trim().Length > 0 && line.All(c => c == '\t' || !(char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF'));

        string data = Path.Combine(Repository.Root, "tests", "data");
        IEnumerable<string> Novel(string name) =>
            File.ReadLines(Path.Combine(data, "models", "sentencepiece", name)).Skip(300).Where(Clean).Take(16);
        var golden = new List<(string Source, string Line)>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(data, "golden", "bytepiece", "golden.jsonl.gz")), CompressionMode.Decompress)))
        {
            while (reader.ReadLine() is { } json)
            {
                using var record = JsonDocument.Parse(json);
                string source = record.RootElement.GetProperty("source").GetString()!;
                if (source is "zh" or "code")
                    golden.AddRange(record.RootElement.GetProperty("text").GetString()!.Split('\n').Where(Clean).Select(l => (source, l)));
            }
        }
        string[] lines =
        [
            .. Novel("botchan.txt"),
            .. Novel("wagahaiwa_nekodearu.txt"),
            .. golden.Where(g => g.Source == "zh").Take(16).Select(g => g.Line),
            .. golden.Where(g => g.Source == "code").Take(8).Select(g => g.Line),
        ];
        Assert.Equal(56, lines.Length);
        return lines;
    }

    /// <summary>
    /// Writes the consumer project (its only reference: BytePiece.Tokenizer from the packed folder), restores it with
    /// an empty package cache and builds it; returns its dll. Packages come from two local feeds only: BytePiece.*
    /// from the packed folder, anything else (Microsoft.ML.Tokenizers) from the global packages folder the solution
    /// restored into, so the build runs offline and cannot pick up an older BytePiece.Tokenizer.
    /// </summary>
    private string BuildConsumer(string directory)
    {
        Directory.CreateDirectory(directory);
        var locals = ProcessRunner.Run(ProcessRunner.Dotnet, ["nuget", "locals", "global-packages", "--list"]);
        Assert.True(locals.ExitCode == 0, locals.ToString());
        string upstream = locals.Stdout.Trim()["global-packages:".Length..].Trim();
        Assert.True(File.Exists(Path.Combine(upstream, "microsoft.ml.tokenizers", MlTokenizersVersion, $"microsoft.ml.tokenizers.{MlTokenizersVersion}.nupkg")),
            $"Microsoft.ML.Tokenizers {MlTokenizersVersion} is not in the global packages folder {upstream} (restore the solution first)");

        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{_packages.Feed}" />
                <add key="upstream" value="{upstream}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="packed"><package pattern="BytePiece.*" /></packageSource>
                <packageSource key="upstream"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BytePiece.Tokenizer" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), ConsumerProgram);

        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_packages.Root, "consumer-cache") };
        var build = ProcessRunner.Run(ProcessRunner.Dotnet,
            ["build", Path.Combine(directory, "Consumer.csproj"), "-c", "Release", "--disable-build-servers", "-nologo"], environment);
        Assert.True(build.ExitCode == 0, build.ToString());

        // Microsoft.ML.Tokenizers came in as BytePiece.Tokenizer's dependency, not as a reference of the program.
        using (var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "obj", "project.assets.json"))))
        {
            var root = assets.RootElement;
            Assert.Equal([$"BytePiece.Tokenizer >= {Version}"],
                root.GetProperty("projectFileDependencyGroups").GetProperty("net10.0").EnumerateArray().Select(e => e.GetString()));
            var ours = root.GetProperty("targets").GetProperty("net10.0").GetProperty($"BytePiece.Tokenizer/{Version}");
            Assert.Equal(MlTokenizersVersion, ours.GetProperty("dependencies").GetProperty("Microsoft.ML.Tokenizers").GetString());
            Assert.Equal("package", root.GetProperty("libraries").GetProperty($"Microsoft.ML.Tokenizers/{MlTokenizersVersion}").GetProperty("type").GetString());
        }
        string dll = Path.Combine(directory, "bin", "Release", "net10.0", "Consumer.dll");
        Assert.True(File.Exists(dll), dll);
        return dll;
    }
}
