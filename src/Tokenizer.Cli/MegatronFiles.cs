namespace BytePiece.Cli;

/// <summary>
/// The two files of a Megatron-LM indexed dataset, named by one prefix (<c>PREFIX.bin</c> holds the tokens,
/// <c>PREFIX.idx</c> the index, as Megatron's <c>get_bin_path</c>/<c>get_idx_path</c> name them), written as a pair.
/// </summary>
internal static class MegatronFiles
{
    /// <summary>The prefix a path names: itself, or without its <c>.bin</c> or <c>.idx</c> (so either file's name works too).</summary>
    public static string Prefix(string path)
        => path.EndsWith(".bin", StringComparison.Ordinal) || path.EndsWith(".idx", StringComparison.Ordinal) ? path[..^4] : path;

    public static string DataPath(string prefix) => prefix + ".bin";

    public static string IndexPath(string prefix) => prefix + ".idx";

    /// <summary>
    /// Writes <c>PREFIX.bin</c> with <paramref name="writeData"/>, then <c>PREFIX.idx</c> with <paramref name="writeIndex"/>
    /// (its counts are known only once the data is written), both under temporary names (<see cref="AtomicFile"/>);
    /// only when both are complete is the data renamed, then the index. A failure before leaves neither new file and
    /// any existing pair as it was; a failure between the two renames (renaming the index) removes the new data file,
    /// so a new data file never stands beside an index that does not describe it.
    /// </summary>
    /// <param name="prefix">The dataset's prefix.</param>
    /// <param name="inputs">Files the run reads: naming one of them as an output is refused (exit 1) before anything is written.</param>
    /// <param name="writeData">Writes the data file.</param>
    /// <param name="writeIndex">Writes the index file, after the data.</param>
    public static void Write(string prefix, IEnumerable<string> inputs, Action<Stream> writeData, Action<Stream> writeIndex)
    {
        string data = DataPath(prefix), index = IndexPath(prefix);
        foreach (string input in inputs)
            foreach (string output in new[] { data, index })
                if (File.Exists(input) && AtomicFile.IsSameFile(input, output))
                    throw new CliException(ExitCodes.Usage, $"--output {prefix} writes {output}, which is an input: write to another prefix");
        bool dataRenamed = false;
        try
        {
            // The index's temporary file is written inside the data's write: both are complete before either is renamed.
            AtomicFile.Write(index, indexStream =>
            {
                AtomicFile.Write(data, dataStream =>
                {
                    Buffered(dataStream, writeData);
                    Buffered(indexStream, writeIndex);
                });
                dataRenamed = true;
            });
        }
        catch
        {
            if (dataRenamed)
                try { File.Delete(data); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Runs <paramref name="write"/> through a buffer, flushed but not disposed (that would close the stream underneath).</summary>
    private static void Buffered(Stream stream, Action<Stream> write)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        write(buffered);
        buffered.Flush();
    }
}
