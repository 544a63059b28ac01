namespace BytePiece.Docs.Tests;

/// <summary>The repository's root (the folder holding Tokenizer.sln), found upward from the test binaries.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln"))) return dir.FullName;
        throw new InvalidOperationException("Tokenizer.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    /// <summary>A path inside the repository, written with '/' as in the markdown.</summary>
    public static string File(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));
}
