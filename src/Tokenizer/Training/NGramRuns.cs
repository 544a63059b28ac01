using System.Buffers.Binary;

namespace BytePiece.Training;

/// <summary>A sorted run of (n-gram key, count): held in memory, or spilled to a temporary file.</summary>
internal sealed class NGramRun
{
    private ulong[]? _keys;
    private long[]? _counts;
    private string? _path;

    public NGramRun(ulong[] keys, long[] counts)
    {
        _keys = keys;
        _counts = counts;
        Length = keys.Length;
    }

    /// <summary>Number of entries.</summary>
    public long Length { get; }

    /// <summary>Writes the run to a file in <paramref name="directory"/> and releases its memory.</summary>
    public void Spill(string directory)
    {
        string path = Path.Combine(directory, $"bytepiece-ngrams-{Guid.NewGuid():N}.run");
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> record = stackalloc byte[16];
            for (int k = 0; k < _keys!.Length; k++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(record, _keys[k]);
                BinaryPrimitives.WriteInt64LittleEndian(record[8..], _counts![k]);
                file.Write(record);
            }
        }
        _path = path;
        _keys = null;
        _counts = null;
    }

    /// <summary>Reads the run in order.</summary>
    public IEnumerator<(ulong Key, long Count)> Read()
    {
        if (_keys is not null)
        {
            for (int k = 0; k < _keys.Length; k++) yield return (_keys[k], _counts![k]);
            yield break;
        }
        using var file = new FileStream(_path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.DeleteOnClose | FileOptions.SequentialScan);
        var record = new byte[16];
        while (true)
        {
            int read = file.ReadAtLeast(record, 16, throwOnEndOfStream: false);
            if (read == 0) yield break;
            if (read < 16) throw new IOException($"n-gram spill file {_path} is truncated");
            yield return (BinaryPrimitives.ReadUInt64LittleEndian(record), BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(8)));
        }
    }

    /// <summary>Deletes a spill file that was never read (training failed or was cancelled).</summary>
    public void Discard()
    {
        if (_path is not null) try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _keys = null;
        _counts = null;
    }

    /// <summary>
    /// Merges sorted runs, summing the counts of equal keys, and hands each distinct key and its total to
    /// <paramref name="emit"/> in key order. Runs are consumed (spill files are deleted as they are read).
    /// </summary>
    public static void Merge(IReadOnlyList<NGramRun> runs, Action<ulong, long> emit)
    {
        var cursors = new List<IEnumerator<(ulong Key, long Count)>>();
        var heap = new PriorityQueue<int, ulong>();
        try
        {
            foreach (NGramRun run in runs)
            {
                var cursor = run.Read();
                cursors.Add(cursor);
                if (cursor.MoveNext()) heap.Enqueue(cursors.Count - 1, cursor.Current.Key);
            }
            bool any = false;
            ulong key = 0;
            long total = 0;
            while (heap.TryDequeue(out int r, out ulong k))
            {
                var cursor = cursors[r];
                if (any && k != key) emit(key, total);
                if (!any || k != key) { key = k; total = 0; any = true; }
                total += cursor.Current.Count;
                if (cursor.MoveNext()) heap.Enqueue(r, cursor.Current.Key);
            }
            if (any) emit(key, total);
        }
        finally
        {
            foreach (var cursor in cursors) cursor.Dispose();
        }
    }
}
