using System.Diagnostics;
using BytePiece.Formats;

namespace BytePiece;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it only when complete. Device
/// paths (under /dev, /proc, /sys) are written in place.
/// </summary>
/// <remarks>
/// The replacement is the file the path leads to: a symlink is followed and its target replaced (the link
/// stays); the file's permissions, and its owner and group where the process may set them, are kept. A
/// file with more than one hard link is written in place once the complete output is ready (so every name
/// sees it; only a failure during that last copy can leave it partial). The temporary file is named
/// <c>.NAME.bytepiece-tmp-PID-N-RANDOM</c>; one left by a killed process (its PID no longer running, or
/// this process's PID reused, as in a container) is removed by the next write to the same path.
/// </remarks>
public static class AtomicFile
{
    private const string TemporaryMarker = ".bytepiece-tmp-";
    private static int s_sequence;

    /// <summary>Temporary files being written: removed if the process exits mid-write (Environment.Exit).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_pending = new();

    static AtomicFile() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (string temp in s_pending.Keys)
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    };

    /// <summary>
    /// Calls <paramref name="write"/> with a stream to a temporary file beside <paramref name="path"/>,
    /// flushes it to disk and renames it over <paramref name="path"/>. If anything fails (an exception, a
    /// full disk, cancellation), the temporary file is deleted and any existing file at the path is left as it was.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string requested = Path.GetFullPath(path);
        // /dev/stdout is a link into /proc: a device path is written as named, before any link is followed.
        bool inPlace = WrittenInPlace(requested);
        string full = inPlace ? requested : FinalTarget(requested);
        if (inPlace || WrittenInPlace(full))
        {
            // A device (/dev/null, /dev/full, /dev/stdout): renaming over it would replace the device
            // node with a regular file, so it is written in place.
            using var device = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(device);
            device.Flush();
            return;
        }
        string folder = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        RemoveAbandonedTemporaries(folder, name);
        // A random part too: in a container every run may have the same process id.
        int sequence = Interlocked.Increment(ref s_sequence);
        string temp = Path.Combine(folder, $".{name}{TemporaryMarker}{Environment.ProcessId}-{sequence}-{Random.Shared.Next():x8}");
        bool created = false;
        try
        {
            s_pending[temp] = true;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                created = true;
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(full) && FileIdentity.Of(full) is { Links: > 1 })
            {
                CopyInPlace(temp, full);
                File.Delete(temp);
                return;
            }
            KeepModeAndOwner(full, temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            if (created)
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        finally
        {
            s_pending.TryRemove(temp, out _);
        }
    }

    /// <summary>
    /// Whether two paths name the same file (after symlinks; on Linux also two hard links of one file):
    /// writing the output over the input would destroy the input before it is read.
    /// </summary>
    public static bool IsSameFile(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        string a = FinalTarget(Path.GetFullPath(first)), b = FinalTarget(Path.GetFullPath(second));
        if (string.Equals(a, b, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)) return true;
        return FileIdentity.Of(a) is { } x && FileIdentity.Of(b) is { } y && x.Device == y.Device && x.Inode == y.Inode;
    }

    /// <summary>The path with every symlink (of the file itself) followed to the file it leads to; a dangling link leads to its target's path.</summary>
    private static string FinalTarget(string full)
    {
        for (int hops = 0; hops < 40; hops++)
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is not { } target) return full;
            full = Path.GetFullPath(target, Path.GetDirectoryName(full)!);
        }
        throw new IOException($"too many levels of symbolic links: {full}");
    }

    /// <summary>The new file gets the old one's permissions and (where allowed) owner, so replacing it changes only its content.</summary>
    private static void KeepModeAndOwner(string existing, string temp)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(existing)) return;
        File.SetUnixFileMode(temp, File.GetUnixFileMode(existing));
        if (FileIdentity.Of(existing) is { } old && FileIdentity.Of(temp) is { } created && (old.Owner != created.Owner || old.Group != created.Group))
            old.TryGiveOwnership(temp);
    }

    /// <summary>The complete output copied into the existing file, which keeps its inode (and so all its names).</summary>
    private static void CopyInPlace(string source, string target)
    {
        using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var to = new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.None, 1 << 16);
        from.CopyTo(to);
        to.SetLength(to.Position);
        to.Flush(flushToDisk: true);
    }

    /// <summary>Removes <c>.NAME.bytepiece-tmp-PID*</c> files whose process is gone (killed mid-write); a running one's, and this process's own, are left alone.</summary>
    private static void RemoveAbandonedTemporaries(string folder, string name)
    {
        string prefix = $".{name}{TemporaryMarker}";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, prefix + "*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string candidate in candidates)
        {
            string rest = Path.GetFileName(candidate)[prefix.Length..];
            int dash = rest.IndexOf('-');
            if (!int.TryParse(dash < 0 ? rest : rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                || s_pending.ContainsKey(candidate) || (pid != Environment.ProcessId && IsRunning(pid)))
                continue; // a live temporary; one with this process's id but not this process's is a dead run's
            try { File.Delete(candidate); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Kernel files (under /proc and /sys) and, under /dev, devices, pipes and links (/dev/null, /dev/stdout)
    /// are written in place; a regular or new file under /dev (/dev/shm) is replaced like any other.
    /// </summary>
    private static bool WrittenInPlace(string full)
    {
        if (OperatingSystem.IsWindows()) return false;
        if (full.StartsWith("/proc/", StringComparison.Ordinal) || full.StartsWith("/sys/", StringComparison.Ordinal)) return true;
        if (!full.StartsWith("/dev/", StringComparison.Ordinal)) return false;
        if (new FileInfo(full).LinkTarget is not null) return true;
        if (FileIdentity.Of(full) is { } identity) return !identity.IsRegular;
        return File.Exists(full); // the type is unknown here: anything that exists is written in place, as a device would be
    }
}
