using BytePiece.Packaging.Tests;
namespace BytePiece.Docs.Tests;

/// <summary>
/// The folders one page's blocks run in, deleted afterwards: <c>work/</c> (the page's working folder, holding a
/// copy of the small files from tests/data and corpora/sample that the documentation names, under their names and
/// under their paths in the repository), <c>bin/</c> (a <c>bytepiece</c> that
/// runs this repository's build of the CLI, first on PATH) and <c>programs/</c> (the compiled C# blocks).
/// </summary>
internal sealed class DocsWorkspace : IDisposable
{
    /// <summary>The files a page may name without making them: small models and texts of the repository, copied under their file names.</summary>
    public static readonly string[] Fixtures =
    [
        "tests/data/models/bytepiece/bytepiece.eu.plus.40k.model",
        "tests/data/models/bytepiece/bytepiece.plus.40k.model",
        "tests/data/models/sentencepiece/test_model.model",
        "tests/data/models/sentencepiece/test_ja_model.model",
        "tests/data/models/sentencepiece/botchan.txt",
        "tests/data/models/sentencepiece/wagahaiwa_nekodearu.txt",
        "corpora/sample/zh.txt",
        "corpora/sample/en.txt",
        "corpora/sample/code.txt",
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("bytepiece-docs-").FullName;

    public DocsWorkspace()
    {
        Directory.CreateDirectory(Work);
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(Programs);
        foreach (string fixture in Fixtures)
        {
            // Under its name (the pages' examples) and under its path in the repository (the front page speaks from a clone's root).
            File.Copy(Repository.File(fixture), Path.Combine(Work, Path.GetFileName(fixture)));
            string nested = Path.Combine(Work, fixture.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(nested)!);
            File.Copy(Repository.File(fixture), nested);
        }
        string cli = Path.Combine(AppContext.BaseDirectory, "bytepiece.dll");
        if (!File.Exists(cli)) throw new FileNotFoundException("the CLI's build is not beside the tests", cli);
        string shim = Path.Combine(Bin, "bytepiece");
        File.WriteAllText(shim, $"#!/bin/sh\nexec '{ProcessRunner.Dotnet}' exec '{cli}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public string Work => Path.Combine(_root, "work");

    public string Bin => Path.Combine(_root, "bin");

    public string Programs => Path.Combine(_root, "programs");

    /// <summary>
    /// The environment of every block: <c>bytepiece</c> first on PATH; no telemetry banner; and no build server or
    /// MSBuild node left running by a documented <c>dotnet run</c> (a test leaves no process behind).
    /// </summary>
    public IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["PATH"] = Bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["UseSharedCompilation"] = "false",
    };

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
