using System.Numerics;

namespace BytePiece.Cli;

/// <summary>
/// Numbers added one at a time and read back once all are in, kept in a temporary file beside the output
/// instead of in memory: an index's lengths grow with the input (4 bytes per document, 8 per document end), so
/// memory stays bounded whatever the input's size. The file is unlinked at once where the system allows it
/// (Linux, macOS: nothing is left even if the process is killed), else deleted when closed; its name is one
/// <see cref="AtomicFile"/> removes if a killed run left it.
/// </summary>
internal sealed class SpillFile<T> : IDisposable where T : unmanaged, IBinaryInteger<T>
{
    private readonly FileStream _file;
    private readonly T[] _pending = new T[1 << 12];
    private int _pendingCount;

    /// <summary>Creates the file beside <paramref name="besidePath"/>, named after it and <paramref name="kind"/>.</summary>
    public SpillFile(string besidePath, string kind)
    {
        string full = Path.GetFullPath(besidePath);
        string path = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.bytepiece-tmp-{Environment.ProcessId}-{kind}-{Random.Shared.Next():x8}");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows())
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The numbers added.</summary>
    public long Count { get; private set; }

    public void Add(T value)
    {
        if (_pendingCount == _pending.Length) WritePending();
        _pending[_pendingCount++] = value;
        Count++;
    }

    /// <summary>Hands every number added, in order, to <paramref name="each"/> in batches; more may be added after.</summary>
    public void ReadAll(ItemsAction<T> each)
    {
        WritePending();
        _file.Position = 0;
        LittleEndianItems.Read(_file, Count, each);
    }

    public void Dispose() => _file.Dispose();

    private void WritePending()
    {
        LittleEndianItems.Write<T>(_file, _pending.AsSpan(0, _pendingCount));
        _pendingCount = 0;
    }
}
