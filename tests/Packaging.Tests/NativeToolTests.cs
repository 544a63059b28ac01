using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Packaging.Tests;

/// <summary>
/// <c>bytepiece</c> as a Native AOT executable (docs/command-line.md#installing): the documented publish command
/// gives an executable that writes the same bytes as the JIT-compiled command line of this build and exits with
/// the same documented codes; the RID-specific tool packages install it as <c>bytepiece</c>.
/// </summary>
public sealed class NativeToolTests : IClassFixture<NativeToolTests.NativeBuild>
{
    private const string Rid = "linux-x64";
    private readonly NativeBuild _build;
    private readonly ITestOutputHelper _output;

    public NativeToolTests(NativeBuild build, ITestOutputHelper output)
    {
        _build = build;
        _output = output;
    }

    /// <summary>
    /// Publishes once, with the documented command (one to two minutes: the IL compiler, then clang to link), and
    /// packs the tool packages on request. All of it builds in a folder of its own (<c>--artifacts-path</c>): a
    /// RID-specific restore and build in the projects' own obj/ and bin/ would race the other test projects, which
    /// build (docs) and pack (packaging) the same projects at the same time.
    /// </summary>
    public sealed class NativeBuild : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("bytepiece-native-").FullName;
        private static string Project => Path.Combine(Repository.Root, "src", "Tokenizer.Cli");
        private readonly Lazy<(ProcessRunner.Result Log, TimeSpan Time)> _publish;
        private readonly Lazy<(ProcessRunner.Result Pointer, ProcessRunner.Result Native, ProcessRunner.Result Install, string Command)> _packages;

        public NativeBuild()
        {
            _publish = new(() => Timed(["publish", Project, "-c", Repository.Configuration, "-r", Rid, "-o", Path.Combine(Root, "publish"), .. Isolated]));
            _packages = new(PackAndInstall);
        }

        /// <summary>The published executable; null with the publish log when publishing failed.</summary>
        public (string? Executable, string Log, TimeSpan Time) Published
        {
            get
            {
                var (log, time) = _publish.Value;
                string executable = Path.Combine(Root, "publish", "bytepiece");
                return (log.ExitCode == 0 && File.Exists(executable) ? executable : null, log.ToString(), time);
            }
        }

        private string[] Isolated => ["--artifacts-path", Path.Combine(Root, "artifacts")];
        public string Feed => Path.Combine(Root, "feed");
        internal (ProcessRunner.Result Pointer, ProcessRunner.Result Native, ProcessRunner.Result Install, string Command) Packages => _packages.Value;

        private (ProcessRunner.Result Pointer, ProcessRunner.Result Native, ProcessRunner.Result Install, string Command) PackAndInstall()
        {
            _ = _publish.Value; // after the publish: the RID pack then finds the native code compiled and up to date
            var pointer = Timed(["pack", Project, "-c", Repository.Configuration, "-p:NativeTool=true", "-o", Feed, .. Isolated]).Log;
            var native = Timed(["pack", Project, "-c", Repository.Configuration, "-r", Rid, "-p:NativeTool=true", "-o", Feed, .. Isolated]).Log;
            var (install, command, _) = ToolInstall.FromFolder(Feed, Root, "0.1.0");
            return (pointer, native, install, command);
        }

        private static (ProcessRunner.Result Log, TimeSpan Time) Timed(string[] arguments)
        {
            var clock = Stopwatch.StartNew();
            var result = ProcessRunner.Run(ProcessRunner.Dotnet, [.. arguments, "-nologo"], timeout: TimeSpan.FromMinutes(30));
            return (result, clock.Elapsed);
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The native executable, published on first use; skips the test without clang on linux-x64.</summary>
    private string Native()
    {
        Prerequisites.Require(Prerequisite.NativeToolchain);
        var (executable, log, time) = _build.Published;
        Assert.True(executable is not null, log);
        // Native code only: the executable and its symbols, no assembly and nothing of one.
        Assert.Equal(["bytepiece", "bytepiece.dbg"], Directory.GetFiles(Path.GetDirectoryName(executable)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("warning", log, StringComparison.OrdinalIgnoreCase); // trim and AOT analysis included
        _output.WriteLine($"dotnet publish -r {Rid} (Native AOT): {time.TotalSeconds:F0} s");
        return executable;
    }

    private static string Data(params string[] path) => Path.Combine([Repository.Root, "tests", "data", .. path]);

    /// <summary>Mixed text: Chinese, English and Japanese prose and source code, a line of each in turn.</summary>
    private string MixedText()
    {
        string path = Path.Combine(_build.Root, "mixed.txt");
        if (File.Exists(path)) return path;
        string[][] sources =
        [
            File.ReadAllLines(Path.Combine(Repository.Root, "corpora", "sample", "zh.txt")),
            File.ReadAllLines(Data("models", "sentencepiece", "botchan.txt")),
            File.ReadAllLines(Data("models", "sentencepiece", "wagahaiwa_nekodearu.txt")),
            File.ReadAllLines(Path.Combine(Repository.Root, "corpora", "sample", "code.txt")),
        ];
        var lines = Enumerable.Range(0, 300).SelectMany(i => sources.Select(source => source[i % source.Length]));
        File.WriteAllText(path, string.Join('\n', lines) + "\n\n");
        return path;
    }

    /// <summary>Runs the JIT-compiled command line of this build (<c>dotnet bytepiece.dll</c>).</summary>
    private static ProcessRunner.Result Jit(params string[] arguments) => ProcessRunner.Run(ProcessRunner.Dotnet,
        [Path.Combine(Repository.Root, "src", "Tokenizer.Cli", "bin", Repository.Configuration, "net10.0", "bytepiece.dll"), .. arguments]);

    public static TheoryData<string, string[]> Commands => new()
    {
        { "ids, embedded model", ["encode", "--quiet", "--input", "{mixed}"] },
        { "bin32, embedded model", ["encode", "--quiet", "--input", "{mixed}", "--format", "bin32"] },
        { "pieces, SentencePiece .model", ["encode", "--quiet", "--model", "{spm}", "--input", "{mixed}", "--format", "pieces"] },
        { "jsonl, upstream BytePiece JSON model", ["encode", "--quiet", "--model", "{bytepiece}", "--input", "{mixed}", "--format", "jsonl"] },
        { "sampled ids, embedded model", ["encode", "--quiet", "--input", "{mixed}", "--alpha", "0.1", "--seed", "7"] },
        { "decode of the embedded model's ids", ["decode", "--input", "{ids}"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Commands))]
    public void NativeExecutable_WritesTheSameBytesAsTheJitCommandLine(string what, string[] command)
    {
        string native = Native();
        string mixed = MixedText();
        string ids = Path.Combine(_build.Root, "mixed.ids");
        if (!File.Exists(ids)) Assert.Equal(0, Jit("encode", "--quiet", "--input", mixed, "--output", ids).ExitCode);
        string[] arguments = [.. command.Select(a => a
            .Replace("{mixed}", mixed)
            .Replace("{ids}", ids)
            .Replace("{spm}", Data("models", "sentencepiece", "test_model.model"))
            .Replace("{bytepiece}", Data("models", "bytepiece", "bytepiece.plus.40k.model")))];
        string name = string.Concat(what.Where(char.IsAsciiLetterOrDigit));
        string jitOut = Path.Combine(_build.Root, name + ".jit"), nativeOut = Path.Combine(_build.Root, name + ".native");

        var jit = Jit([.. arguments, "--output", jitOut]);
        Assert.True(jit.ExitCode == 0, jit.ToString());
        var run = ProcessRunner.Run(native, [.. arguments, "--output", nativeOut]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(new FileInfo(jitOut).Length > 1000, $"{what}: the JIT command line wrote only {new FileInfo(jitOut).Length} bytes");
        Assert.True(File.ReadAllBytes(jitOut).AsSpan().SequenceEqual(File.ReadAllBytes(nativeOut)), $"{what}: the outputs differ");
    }

    public static TheoryData<string, int, string[]> Failures => new()
    {
        { "a file that is no model", 2, ["encode", "--model", "{notamodel}", "hello"] },
        { "input that is not UTF-8", 3, ["encode", "--input", "{latin1}"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Failures))]
    public void NativeExecutable_ExitsWithTheDocumentedCode_AndTheJitCommandLinesMessage(string what, int code, string[] command)
    {
        string native = Native();
        string notAModel = Path.Combine(_build.Root, "not-a-model.bpm"), latin1 = Path.Combine(_build.Root, "latin1.txt");
        File.WriteAllText(notAModel, "this is not a model\n");
        File.WriteAllBytes(latin1, [.. "caf"u8, 0xE9, .. " au lait\n"u8]);
        string[] arguments = [.. command.Select(a => a.Replace("{notamodel}", notAModel).Replace("{latin1}", latin1))];

        var jit = Jit(arguments);
        var run = ProcessRunner.Run(native, arguments);
        Assert.True(jit.ExitCode == code, $"{what}: JIT {jit}");
        Assert.True(run.ExitCode == code, $"{what}: native {run}");
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("bytepiece: ", run.Stderr);
        Assert.Equal(jit.Stderr, run.Stderr);
    }

    [SkippableFact]
    public void RidSpecificToolPackages_InstallTheNativeExecutable_AsBytepiece()
    {
        Native();
        var (pointer, nativePack, install, bytepiece) = _build.Packages;
        Assert.True(pointer.ExitCode == 0, pointer.ToString());
        Assert.True(nativePack.ExitCode == 0, nativePack.ToString());
        Assert.DoesNotContain("warning", pointer.Stdout + nativePack.Stdout, StringComparison.OrdinalIgnoreCase);

        // The `bytepiece` package only names the RID packages; bytepiece.linux-x64 holds the executable, run directly.
        using (var package = ZipFile.OpenRead(Path.Combine(_build.Feed, "bytepiece.0.1.0.nupkg")))
        {
            var settings = XDocument.Load(package.GetEntry("tools/any/any/DotnetToolSettings.xml")!.Open());
            Assert.Equal([Rid, "any"], settings.Descendants("RuntimeIdentifierPackage").Select(e => (string?)e.Attribute("RuntimeIdentifier")));
        }
        using (var package = ZipFile.OpenRead(Path.Combine(_build.Feed, $"bytepiece.{Rid}.0.1.0.nupkg")))
        {
            var tools = package.Entries.Select(e => e.FullName).Where(f => f.StartsWith("tools/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Assert.Equal([$"tools/any/{Rid}/DotnetToolSettings.xml", $"tools/any/{Rid}/bytepiece"], tools); // no symbols (14 MB), no assembly
            var settings = XDocument.Load(package.GetEntry($"tools/any/{Rid}/DotnetToolSettings.xml")!.Open());
            Assert.Equal("executable", (string?)settings.Descendants("Command").Single().Attribute("Runner"));
        }

        Assert.True(install.ExitCode == 0, install.ToString());
        const string text = "广州的白云机场 is an airport.";
        var encode = ProcessRunner.Run(bytepiece, ["encode", text, "--quiet"]);
        Assert.True(encode.ExitCode == 0, encode.ToString());
        Assert.Equal(string.Join(' ', BytePieceTokenizer.Default.EncodeToIds(text)), encode.Stdout.TrimEnd('\n'));
    }
}
