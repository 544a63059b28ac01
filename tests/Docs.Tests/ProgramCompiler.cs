using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using BytePiece.Packaging.Tests;

namespace BytePiece.Docs.Tests;

/// <summary>
/// Compiles a C# block as the whole <c>Program.cs</c> of a console app that references the BytePiece.Tokenizer and
/// BytePiece.LmTools packages: top-level statements, the implicit usings of <c>dotnet new console</c>, nullable
/// on, and warnings as errors (as in this repository). The program is written with what it needs to run with
/// <c>dotnet exec</c>: the referenced libraries beside it and a runtimeconfig naming the shared framework.
/// </summary>
internal static partial class ProgramCompiler
{
    /// <summary>The implicit usings of an SDK console project (Microsoft.NET.Sdk, ImplicitUsings enabled).</summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    /// <summary>The libraries a program references, from this test's output: the packages' assemblies and their one dependency.</summary>
    private static readonly string[] Libraries = ["BytePiece.Tokenizer.dll", "BytePiece.LmTools.dll", "Microsoft.ML.Tokenizers.dll"];

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        [.. FrameworkReferenceAssemblies().Concat(Libraries.Select(l => Path.Combine(AppContext.BaseDirectory, l)))
            .Select(path => MetadataReference.CreateFromFile(path))]);

    /// <summary>Compiles <paramref name="block"/> into <paramref name="folder"/>; returns the program's path, or the compiler's errors.</summary>
    public static (string? Program, string Errors) Compile(FencedBlock block, string folder)
    {
        string name = "Doc_" + NotIdentifier().Replace($"{block.Page}_{block.Line}", "_");
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(name,
            [
                CSharpSyntaxTree.ParseText(block.Text, parse, path: $"{block.Page} (block at line {block.Line})", encoding: System.Text.Encoding.UTF8),
                CSharpSyntaxTree.ParseText(ImplicitUsings, parse, path: "ImplicitUsings.cs", encoding: System.Text.Encoding.UTF8),
            ],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error)
                // What the SDK never reports (its default NoWarn): a library built against an older System.Runtime.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));
        string program = Path.Combine(folder, name + ".dll");
        using (var output = File.Create(program))
        {
            var result = compilation.Emit(output);
            if (!result.Success)
            {
                // The block's own line numbers: the diagnostic's line within the block plus the fence's line.
                var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d =>
                {
                    string message = $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
                    if (!d.Location.IsInSource) return $"{block}: {message}";
                    var span = d.Location.GetLineSpan();
                    return span.Path.StartsWith(block.Page, StringComparison.Ordinal)
                        ? $"{block.Page}:{block.Line + span.StartLinePosition.Line + 1}: {message}"
                        : $"{span.Path}:{span.StartLinePosition.Line + 1}: {message}";
                });
                return (null, string.Join('\n', errors));
            }
        }
        foreach (string library in Libraries)
        {
            string copy = Path.Combine(folder, library);
            if (!File.Exists(copy)) File.Copy(Path.Combine(AppContext.BaseDirectory, library), copy);
        }
        var runtime = Environment.Version;
        string version = $"{runtime.Major}.{runtime.Minor}";
        File.WriteAllText(Path.Combine(folder, name + ".runtimeconfig.json"),
            "{\"runtimeOptions\": {\"tfm\": \"net" + version + "\", \"framework\": {\"name\": \"Microsoft.NETCore.App\", \"version\": \"" + version + ".0\"}}}");
        return (program, "");
    }

    /// <summary>
    /// The reference assemblies of the shared framework this test runs on (the SDK's targeting pack of the same
    /// major and minor version); if the pack is missing, the runtime's own assemblies, which compile the same code.
    /// </summary>
    private static IEnumerable<string> FrameworkReferenceAssemblies()
    {
        var runtime = Environment.Version;
        string packs = Path.Combine(ProcessRunner.DotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        string? pack = Directory.Exists(packs)
            ? Directory.GetDirectories(packs, $"{runtime.Major}.{runtime.Minor}.*")
                .Where(d => Version.TryParse(Path.GetFileName(d), out _)).MaxBy(d => Version.Parse(Path.GetFileName(d)))
            : null;
        string? refs = pack is null ? null : Path.Combine(pack, "ref", $"net{runtime.Major}.{runtime.Minor}");
        if (refs is not null && Directory.Exists(refs)) return Directory.GetFiles(refs, "*.dll");
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location));
    }

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex NotIdentifier();
}
