namespace BytePiece.Packaging.Tests;

/// <summary>The repository's root (the folder holding Tokenizer.sln), found upward from the test binaries.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln"))) return dir.FullName;
        throw new InvalidOperationException("Tokenizer.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    /// <summary>The build configuration the tests were built in (Release under CI), read from the output path.</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
}
