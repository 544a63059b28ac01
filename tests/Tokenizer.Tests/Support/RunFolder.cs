namespace BytePiece.Tests;

/// <summary>
/// One temporary folder per test run for files that live as long as the run (peer-trained models, converted
/// models, inputs shared by tests), deleted when the test process exits. The test host may be stopped before
/// that finishes, so each run also deletes the folders of runs whose process is gone.
/// </summary>
internal static class RunFolder
{
    private const string Prefix = "bytepiece-tests-";

    private static readonly Lazy<string> s_path = new(() =>
    {
        DeleteFoldersOfEndedRuns();
        string path = Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
        return path;
    });

    public static string Path => s_path.Value;

    private static void DeleteFoldersOfEndedRuns()
    {
        foreach (string folder in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), Prefix + "*"))
        {
            string[] parts = System.IO.Path.GetFileName(folder)[Prefix.Length..].Split('-');
            if (!int.TryParse(parts[0], out int pid) || IsRunning(pid)) continue;
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>A new empty folder inside the run's folder.</summary>
    public static string NewFolder(string prefix) => Directory.CreateDirectory(System.IO.Path.Combine(Path, $"{prefix}-{Guid.NewGuid():N}")).FullName;
}
