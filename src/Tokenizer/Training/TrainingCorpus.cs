using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace BytePiece.Training;

/// <summary>
/// The text a trainer learns from: files (plain UTF-8, or compressed <c>.gz</c> / <c>.xz</c>), directories
/// (every file below them, in ordinal path order), or strings. Training reads the corpus twice, streaming
/// it each time; each file or string is a separate document (no chunk spans two).
/// </summary>
public sealed class TrainingCorpus
{
    private readonly IReadOnlyList<string>? _files;
    private readonly IEnumerable<string>? _texts;

    private TrainingCorpus(IReadOnlyList<string>? files, IEnumerable<string>? texts, long? totalBytes)
    {
        _files = files;
        _texts = texts;
        TotalBytes = totalBytes;
    }

    /// <summary>Uncompressed size in bytes, when known beforehand (for progress).</summary>
    public long? TotalBytes { get; }

    /// <summary>Files and directories (searched recursively; hidden entries skipped).</summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    public static TrainingCorpus FromFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System })
                    .ToList();
                found.Sort(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else if (File.Exists(path)) files.Add(path);
            else throw new FileNotFoundException($"training input not found: {path}", path);
        }
        long? total = 0;
        foreach (string file in files) total = total is null ? null : UncompressedSize(file) is long size ? total + size : null;
        return new TrainingCorpus(files, null, total);
    }

    /// <summary>Strings, each a document. The sequence is enumerated twice, so it must be re-iterable.</summary>
    public static TrainingCorpus FromTexts(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return new TrainingCorpus(null, texts, null);
    }

    /// <summary>The documents, each opened as a stream of UTF-8 bytes when reached.</summary>
    internal IEnumerable<Func<Stream>> Documents()
    {
        if (_texts is not null)
        {
            foreach (string text in _texts) yield return () => new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
            yield break;
        }
        foreach (string file in _files!) yield return () => Open(file);
    }

    private static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return new GZipStream(file, CompressionMode.Decompress);
        if (path.EndsWith(".xz", StringComparison.OrdinalIgnoreCase))
        {
            file.Dispose();
            return new ProcessOutputStream("xz", ["-dc", "--", path], path);
        }
        return file;
    }

    private static long? UncompressedSize(string path)
    {
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return null;
        if (!path.EndsWith(".xz", StringComparison.OrdinalIgnoreCase)) return new FileInfo(path).Length;
        try
        {
            // xz --robot --list prints a "totals" line whose fifth field is the uncompressed size.
            using var process = Process.Start(new ProcessStartInfo("xz", ["--robot", "--list", "--", path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            foreach (string line in output.Split('\n'))
            {
                string[] fields = line.Split('\t');
                if (fields.Length > 4 && fields[0] == "totals" && long.TryParse(fields[4], out long size)) return size;
            }
        }
        catch (System.ComponentModel.Win32Exception) { }
        return null;
    }

    /// <summary>The standard output of a decompressor, read as a stream; a failure of the process is an error at the end.</summary>
    private sealed class ProcessOutputStream : Stream
    {
        private readonly Process _process;
        private readonly Stream _output;
        private readonly string _source;
        private readonly Task<string> _errors;

        public ProcessOutputStream(string program, string[] arguments, string source)
        {
            _source = source;
            try
            {
                _process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false })!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new IOException($"cannot decompress {source}: '{program}' is not available ({e.Message})", e);
            }
            _output = _process.StandardOutput.BaseStream;
            _errors = _process.StandardError.ReadToEndAsync();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read = _output.Read(buffer);
            if (read == 0 && buffer.Length > 0)
            {
                _process.WaitForExit();
                if (_process.ExitCode != 0)
                    throw new IOException($"cannot decompress {_source}: {_errors.Result.Trim()}");
            }
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
                _output.Dispose();
                _process.Dispose();
            }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
