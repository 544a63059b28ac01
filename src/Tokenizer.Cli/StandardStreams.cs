using Microsoft.Win32.SafeHandles;

namespace BytePiece.Cli;

/// <summary>
/// The process's standard streams, opened so that a closed one is reported as closed (never read or
/// written through a descriptor the runtime has reused), and a broken stdout pipe is an error (EPIPE)
/// rather than output silently dropped.
/// </summary>
internal static class StandardStreams
{
    public static Stream Input() => IsInherited(0) ? Console.OpenStandardInput() : new ClosedStream("standard input");

    public static Stream Output()
    {
        if (!IsInherited(1)) return new ClosedStream("standard output");
        // The console stream drops writes to a closed pipe without a word, so `| head` would let the whole
        // input be encoded; a FileStream over the descriptor reports EPIPE. A regular file keeps the console
        // stream: FileStream would write at its own offset (pwrite), not at the descriptor's shared one.
        var pipe = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!pipe.CanSeek) return pipe;
        pipe.Dispose();
        return Console.OpenStandardOutput();
    }

    public static TextWriter Error() => IsInherited(2) ? Console.Error : TextWriter.Null;

    /// <summary>
    /// Descriptor <paramref name="fd"/> came from the parent. Started with it closed, the runtime reuses the
    /// number for its own files and pipes, which it opens close-on-exec; an inherited descriptor never has
    /// that flag (it would not have survived the exec). Without /proc (not Linux) it is taken as inherited.
    /// </summary>
    private static bool IsInherited(int fd)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/fdinfo")) return true;
        string info;
        try
        {
            info = File.ReadAllText($"/proc/self/fdinfo/{fd}");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
        const int CloseOnExec = 0x80000; // O_CLOEXEC (02000000 octal) as fdinfo's flags show it
        foreach (string line in info.Split('\n'))
            if (line.StartsWith("flags:", StringComparison.Ordinal))
                return (Convert.ToInt32(line[6..].Trim(), 8) & CloseOnExec) == 0;
        return true;
    }

    /// <summary>A standard stream the process was started without: every read or write is a clear I/O error.</summary>
    private sealed class ClosedStream(string name) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw Closed();
        public override void Write(byte[] buffer, int offset, int count) => throw Closed();
        public override void Flush() { }
        private IOException Closed() => new($"{name} is closed");
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
