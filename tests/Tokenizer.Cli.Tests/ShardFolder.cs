using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// A temporary folder for shard-run tests: the shards under <c>in/</c>, each run into its own folder beside
/// it (so that runs of one set of shards record the same relative paths), deleted at the end.
/// </summary>
internal sealed partial class ShardFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bp-shards").FullName;

    public ShardFolder() => Directory.CreateDirectory(In);

    /// <summary>Upstream's small BytePiece model (tests/data): quick to load.</summary>
    public static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    public string In => Path.Combine(Root, "in");

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Runs the command line in-process, with nothing on stdin.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliRunner.Run("", args);

    /// <summary>Runs the command line in-process and asserts exit 0 (showing stderr otherwise).</summary>
    public static void Succeeds(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.True(code == 0, stderr);
    }

    /// <summary>Writes a shard into <c>in/</c> and returns its full path.</summary>
    public string Add(string name, byte[] content)
    {
        string path = Path.Combine(In, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Add(string name, string content) => Add(name, Encoding.UTF8.GetBytes(content));

    /// <summary>
    /// Real text in several shapes: the repository's 64 KB Chinese, English and code excerpts, SentencePiece's
    /// English novel, an empty shard, and a shard whose last line has no newline.
    /// </summary>
    public IReadOnlyList<string> AddSamples()
    {
        string sample = Path.Combine(SharedFolder.RepositoryRoot, "corpora", "sample");
        return
        [
            Add("zh.txt", File.ReadAllBytes(Path.Combine(sample, "zh.txt"))),
            Add("en.txt", File.ReadAllBytes(Path.Combine(sample, "en.txt"))),
            Add("code.txt", File.ReadAllBytes(Path.Combine(sample, "code.txt"))),
            Add("botchan.txt", File.ReadAllBytes(SharedFolder.SentencePieceFilePath("botchan.txt"))),
            Add("empty.txt", ""),
            Add("open-ended.txt", "第一行\nthe last line has no newline"),
        ];
    }

    /// <summary>Writes an input list (one path per line) and returns its path.</summary>
    public string List(IEnumerable<string> inputs, string name = "list.txt")
    {
        string path = PathOf(name);
        File.WriteAllLines(path, inputs);
        return path;
    }

    /// <summary>A manifest's lines without their time field: what two runs of the same shards must agree on.</summary>
    public static string[] Timeless(string manifest) => [.. File.ReadAllLines(manifest).Select(l => Seconds().Replace(l, ""))];

    /// <summary>A manifest's entries, parsed.</summary>
    public static JsonElement[] Entries(string manifest) => [.. File.ReadAllLines(manifest).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>Temporary files a run left in a folder or under it.</summary>
    public static string[] Temporaries(string folder) => Directory.Exists(folder) ? Directory.GetFiles(folder, "*.bytepiece-tmp-*", SearchOption.AllDirectories) : [];

    /// <summary>Every file of a folder (relative path to content), hidden ones included.</summary>
    public static SortedDictionary<string, byte[]> Files(string folder, string? except = null)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(folder, file);
            if (relative != except) files[relative] = File.ReadAllBytes(file);
        }
        return files;
    }

    /// <summary>Asserts that two folders hold the same files with the same bytes.</summary>
    public static void AssertSameFiles(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach ((string name, byte[] bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }

    [GeneratedRegex(@",""seconds"":[0-9.eE+-]+")]
    private static partial Regex Seconds();
}
