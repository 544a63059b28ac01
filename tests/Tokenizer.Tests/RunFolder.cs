namespace BytePiece.Tests;

/// <summary>
/// One temporary folder per test run for files that live as long as the run (peer-trained models, converted
/// models, inputs shared by tests), deleted when the test process exits, so that a run leaves nothing behind.
/// </summary>
internal static class RunFolder
{
    private static readonly Lazy<string> s_path = new(() =>
    {
        string path = Directory.CreateTempSubdirectory($"bytepiece-tests-{Environment.ProcessId}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
        return path;
    });

    public static string Path => s_path.Value;

    /// <summary>A new empty folder inside the run's folder.</summary>
    public static string NewFolder(string prefix) => Directory.CreateDirectory(System.IO.Path.Combine(Path, $"{prefix}-{Guid.NewGuid():N}")).FullName;
}
