using System.Reflection;
using Xunit;

namespace BytePiece.Packaging.Tests;

/// <summary>
/// The public surface of each package is checked in under <c>docs/api/</c>: a change to it shows in
/// review as a diff of that file. Regenerate with <c>BYTEPIECE_UPDATE_API=1 dotnet test tests/Packaging.Tests</c>.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Assemblies => new() { "BytePiece.Tokenizer", "BytePiece.LmTools" };

    /// <summary>
    /// The libraries above the engine (LmTools, the command line) use its public API only: the engine lets its
    /// own tests and benchmarks see its internals, no shipped assembly.
    /// </summary>
    [Fact]
    public void OnlyTestsAndBenchmarksSeeTheEnginesInternals()
    {
        var friends = typeof(BytePiece.BytePieceTokenizer).Assembly
            .GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(["BytePiece.LmTools.Tests", "BytePiece.Tokenizer.Tests", "Tokenizer.Bench"], friends);
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void PublicSurfaceMatchesTheCheckedInListing(string assemblyName)
    {
        string actual = PublicApiListing.Of(Assembly.Load(assemblyName));
        string path = Path.Combine(Repository.Root, "docs", "api", assemblyName + ".txt");
        if (Environment.GetEnvironmentVariable("BYTEPIECE_UPDATE_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"{path} is missing; run with BYTEPIECE_UPDATE_API=1 to create it");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            string[] a = expected.Split('\n'), b = actual.Split('\n');
            var removed = a.Except(b).Take(10).Select(l => "- " + l.Trim());
            var added = b.Except(a).Take(10).Select(l => "+ " + l.Trim());
            Assert.Fail($"The public API of {assemblyName} changed; if intended, rerun with BYTEPIECE_UPDATE_API=1 and commit {path}:\n"
                        + string.Join("\n", removed.Concat(added)));
        }
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void NoPublicMutableStaticState(string assemblyName)
    {
        var offenders = Assembly.Load(assemblyName).GetExportedTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => !f.IsLiteral && !f.IsInitOnly)
                .Select(f => t.FullName + "." + f.Name)
             .Concat(t.GetProperties(BindingFlags.Public | BindingFlags.Static)
                .Where(p => p.SetMethod is { IsPublic: true })
                .Select(p => t.FullName + "." + p.Name)))
            .ToList();
        Assert.Empty(offenders);
    }
}
