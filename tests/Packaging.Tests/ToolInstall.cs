namespace BytePiece.Packaging.Tests;

/// <summary>
/// Installs the <c>bytepiece</c> tool from a folder of packages alone: a feed of its own (no other source) and
/// an empty package cache, so the install can only come from the packed folder.
/// </summary>
internal static class ToolInstall
{
    /// <summary>
    /// Installs <c>bytepiece</c> <paramref name="version"/> from <paramref name="feed"/> into <c>root/tools</c> (its
    /// nuget.config and package cache in <paramref name="root"/> too); the command to run and the environment to run it in.
    /// </summary>
    public static (ProcessRunner.Result Install, string Command, IDictionary<string, string> Environment) FromFolder(string feed, string root, string version)
    {
        string config = Path.Combine(root, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        string toolPath = Path.Combine(root, "tools");
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(root, "cache"),
            ["DOTNET_ROOT"] = ProcessRunner.DotnetRoot,
        };
        var install = ProcessRunner.Run(ProcessRunner.Dotnet,
            ["tool", "install", "bytepiece", "--version", version, "--tool-path", toolPath, "--configfile", config], environment);
        return (install, Path.Combine(toolPath, OperatingSystem.IsWindows() ? "bytepiece.exe" : "bytepiece"), environment);
    }
}
