namespace BytePiece;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it only when complete. Device
/// paths (under /dev, /proc, /sys) are written in place.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> with a stream to a temporary file beside <paramref name="path"/>,
    /// flushes it to disk and renames it over <paramref name="path"/>. If anything fails (an exception, a
    /// full disk, cancellation), the temporary file is deleted and any existing file at the path is left as it was.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        if (IsDevicePath(full))
        {
            // A device (/dev/null, /dev/full, /dev/stdout): renaming over it would replace the device
            // node with a regular file, so it is written in place.
            using var device = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(device);
            device.Flush();
            return;
        }
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Paths under /dev, /proc or /sys (Unix) name devices and kernel files, not regular files.</summary>
    private static bool IsDevicePath(string full)
        => !OperatingSystem.IsWindows() && (full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal) || full.StartsWith("/sys/", StringComparison.Ordinal));
}
