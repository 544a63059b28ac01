using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace BytePiece.Packaging.Tests;

/// <summary>
/// <c>dotnet pack</c> gives the two libraries and the CLI as a .NET tool; the tool installs from the
/// packed folder alone (no other feed) and encodes with its embedded model; the library package brings
/// Microsoft.ML.Tokenizers with it (PackagingTests.MlTokenizers.cs).
/// </summary>
public sealed partial class PackagingTests : IClassFixture<PackagingTests.Packages>
{
    private const string Version = "0.1.0";
    private readonly Packages _packages;

    public PackagingTests(Packages packages) => _packages = packages;

    /// <summary>
    /// Packs the solution once, as a user would (<c>dotnet pack Tokenizer.sln</c>), from the build the test run
    /// already made (no rebuild): the three packable projects give packages, the others are skipped. Projects the
    /// run did not build (benchmarks, other test projects) need no build output to be skipped.
    /// </summary>
    public sealed class Packages : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("bytepiece-pack-").FullName;
        public string Feed => Path.Combine(Root, "feed");

        /// <summary>What <c>dotnet pack Tokenizer.sln</c> printed.</summary>
        internal ProcessRunner.Result PackLog { get; }

        public Packages()
        {
            PackLog = ProcessRunner.Run(ProcessRunner.Dotnet,
                ["pack", Path.Combine(Repository.Root, "Tokenizer.sln"), "-c", Repository.Configuration, "--no-build", "-o", Feed, "-nologo"]);
            if (PackLog.ExitCode != 0) throw new InvalidOperationException("dotnet pack failed: " + PackLog);
            _tool = new(InstallTool);
        }

        private (ProcessRunner.Result, string, IDictionary<string, string>) InstallTool() => ToolInstall.FromFolder(Feed, Root, Version);

        /// <summary>
        /// The <c>bytepiece</c> tool installed once from the packed folder alone (a feed of its own and an empty
        /// package cache), shared by the tests that run it.
        /// </summary>
        internal (ProcessRunner.Result Install, string Command, IDictionary<string, string> Environment) Tool => _tool.Value;

        private readonly Lazy<(ProcessRunner.Result, string, IDictionary<string, string>)> _tool;

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Packing the solution skips the projects that are not packages (tests, benchmarks, samples) without a word:
    /// the Web SDK of samples/WebApi used to print "This project cannot be packaged because packaging has been
    /// disabled" (a warning a user would think a failure), until Directory.Build.props turned that warning off.
    /// </summary>
    [Fact]
    public void PackingTheSolution_MakesTheThreePackages_AndPrintsNoWarning()
    {
        string log = _packages.PackLog.Stdout + _packages.PackLog.Stderr;
        Assert.DoesNotContain("cannot be packaged", log);
        Assert.DoesNotContain("warning", log, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(
            [$"BytePiece.LmTools.{Version}.nupkg", $"BytePiece.Tokenizer.{Version}.nupkg", $"bytepiece.{Version}.nupkg"],
            Directory.GetFiles(_packages.Feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> Libraries => new()
    {
        { "BytePiece.Tokenizer", "BytePiece.Tokenizer" },
        { "BytePiece.LmTools", "BytePiece.LmTools" },
    };

    [Theory]
    [MemberData(nameof(Libraries))]
    public void LibraryPackageHoldsTheAssemblyDocsReadmeLicenceAndSymbols(string id, string assembly)
    {
        using var package = ZipFile.OpenRead(Path.Combine(_packages.Feed, $"{id}.{Version}.nupkg"));
        var files = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains($"lib/net10.0/{assembly}.dll", files);
        Assert.Contains($"lib/net10.0/{assembly}.xml", files);
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);

        XElement metadata = Metadata(package, id);
        Assert.Equal(id, Value(metadata, "id"));
        Assert.Equal(Version, Value(metadata, "version"));
        Assert.Equal("Apache-2.0", Value(metadata, "license"));
        Assert.Equal("expression", metadata.Elements().Single(e => e.Name.LocalName == "license").Attribute("type")?.Value);
        Assert.Equal("README.md", Value(metadata, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "description")));

        // The XML documentation is the real one: every public type of the assembly is documented in it.
        using var docStream = package.GetEntry($"lib/net10.0/{assembly}.xml")!.Open();
        var documented = XDocument.Load(docStream).Descendants("member").Select(m => (string?)m.Attribute("name")).ToHashSet();
        foreach (Type type in System.Reflection.Assembly.Load(assembly).GetExportedTypes())
            Assert.Contains("T:" + type.FullName!.Replace('+', '.'), documented);

        using var symbols = ZipFile.OpenRead(Path.Combine(_packages.Feed, $"{id}.{Version}.snupkg"));
        Assert.Contains(symbols.Entries, e => e.FullName == $"lib/net10.0/{assembly}.pdb");
    }

    [Fact]
    public void LmToolsDependsOnTheTokenizerPackageOfTheSameVersion()
    {
        using var package = ZipFile.OpenRead(Path.Combine(_packages.Feed, $"BytePiece.LmTools.{Version}.nupkg"));
        var dependency = Metadata(package, "BytePiece.LmTools").Descendants().Single(e => e.Name.LocalName == "dependency");
        Assert.Equal("BytePiece.Tokenizer", dependency.Attribute("id")?.Value);
        Assert.Equal(Version, dependency.Attribute("version")?.Value);
    }

    [Fact]
    public void ToolInstallsFromThePackedFolderAndEncodesWithTheEmbeddedModel()
    {
        using (var package = ZipFile.OpenRead(Path.Combine(_packages.Feed, $"bytepiece.{Version}.nupkg")))
        {
            var settings = XDocument.Load(package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
            Assert.Equal("bytepiece", settings.Descendants("Command").Single().Attribute("Name")?.Value);
        }

        // A feed of its own and an empty package cache: the install can only come from the packed folder.
        var (install, bytepiece, environment) = _packages.Tool;
        Assert.True(install.ExitCode == 0, install.ToString());

        const string text = "广州的白云机场 is an airport.";
        var encode = ProcessRunner.Run(bytepiece, ["encode", text, "--quiet"], environment);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        Assert.Equal(string.Join(' ', BytePieceTokenizer.Default.EncodeToIds(text)), encode.Stdout.TrimEnd('\n'));

        var decode = ProcessRunner.Run(bytepiece, ["decode", .. encode.Stdout.Split(' ', StringSplitOptions.TrimEntries)], environment);
        Assert.True(decode.ExitCode == 0, decode.ToString());
        Assert.Equal(text, decode.Stdout.TrimEnd('\n'));
    }

    private static XElement Metadata(ZipArchive package, string id)
    {
        using var stream = package.GetEntry(id + ".nuspec")!.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Value(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
}
