using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace BytePiece.Cli;

/// <summary>Encodes one shard: reads <paramref name="source"/> to its end and writes the shard's files, each atomically; returns the counts.</summary>
/// <param name="source">The shard's input, counted and hashed as it is read.</param>
/// <param name="shard">The shard: its input and the files to write.</param>
/// <param name="threads">The threads this shard may use.</param>
internal delegate (long Chunks, long Tokens) ShardEncoder(CountingStream source, Shard shard, int threads);

/// <summary>
/// <c>bytepiece encode --output-dir</c>: many inputs, an output per input, and the manifest. A shard already
/// done (its entry in the manifest, its files and input as the entry says) is skipped; the others are encoded,
/// several at once, each exactly as it would be alone; each finished shard appends its line to the manifest,
/// and at the end the manifest is rewritten whole, in the order of the inputs, under a temporary name.
/// </summary>
internal static class ShardRun
{
    public static int Run(CliIO io, ShardPlan plan, ShardSettings settings, ShardEncoder encode, int threads, bool quiet, string unit, MemoryGuard memory)
    {
        var clock = Stopwatch.StartNew();
        IReadOnlyList<Shard> shards = plan.Shards;
        string folder = Manifest.FolderOf(plan.ManifestPath);
        Directory.CreateDirectory(plan.OutputFolder);
        Directory.CreateDirectory(folder);
        var (kept, previous, earlier) = Earlier(plan, settings, folder);
        // A shard is done when its files and its input are still what its entry says: every output is read and
        // hashed, so this runs on the threads the encoding would have used.
        var done = new ManifestEntry?[shards.Count];
        Parallel.For(0, shards.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = memory.Token },
            i => done[i] = previous[i] is { } entry ? StillDone(entry, shards[i], folder) : null);
        int matched = previous.Count(p => p is not null), skipped = done.Count(d => d is not null);
        // Entries that no longer hold (and a line a kill cut short) go at once, so that the appends below follow valid lines.
        if (earlier is not null && (earlier.Torn || kept.Count + skipped != earlier.Entries.Count || matched != skipped))
            Manifest.Write(plan.ManifestPath, kept.Concat(done.OfType<ManifestEntry>()));

        int[] todo = [.. Enumerable.Range(0, shards.Count).Where(i => done[i] is null)];
        // Many shards: one thread each, as many at once as there are threads; fewer shards than threads share the rest.
        int inFlight = Math.Min(threads, todo.Length), perShard = Math.Max(1, threads / Math.Max(1, inFlight));
        var fresh = new ManifestEntry?[shards.Count];
        var failures = new ConcurrentDictionary<int, Exception>();
        var reading = new ConcurrentDictionary<int, CountingStream>();
        long bytesDone = 0, chunksDone = 0, tokensDone = 0;
        int next = -1, stopping = 0;
        try
        {
            using var journal = new FileStream(plan.ManifestPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            void Work()
            {
                while (Volatile.Read(ref stopping) == 0 && !memory.Token.IsCancellationRequested)
                {
                    int k = Interlocked.Increment(ref next);
                    if (k >= todo.Length) return;
                    int i = todo[k];
                    try
                    {
                        ManifestEntry entry = EncodeShard(shards[i], settings, folder, perShard, encode, source => reading[i] = source);
                        lock (journal)
                        {
                            journal.Write(Manifest.Line(entry));
                            journal.Flush();
                        }
                        fresh[i] = entry;
                        Interlocked.Add(ref bytesDone, entry.Input.Bytes);
                        Interlocked.Add(ref chunksDone, entry.Chunks);
                        Interlocked.Add(ref tokensDone, entry.Tokens);
                    }
                    catch (OperationCanceledException) when (memory.Token.IsCancellationRequested)
                    {
                        return; // the whole run stops: reported once, below
                    }
                    catch (Exception e)
                    {
                        // The first failure stops new shards from starting; the ones under way finish and are recorded.
                        failures[i] = e;
                        Volatile.Write(ref stopping, 1);
                    }
                    finally
                    {
                        reading.TryRemove(i, out _);
                    }
                }
            }
            long total = todo.Sum(i => new FileInfo(shards[i].Input).Length);
            Progress.Run(io, quiet, total, update =>
            {
                Thread[] workers = [.. Enumerable.Range(0, inFlight).Select(_ => new Thread(Work) { IsBackground = true })];
                foreach (Thread worker in workers) worker.Start();
                foreach (Thread worker in workers)
                    while (!worker.Join(100))
                        update(Interlocked.Read(ref bytesDone) + reading.Values.Sum(s => s.BytesRead), Interlocked.Read(ref tokensDone));
            });
        }
        finally
        {
            // Whatever happened, the manifest ends whole and in input order, with every shard that is done.
            Manifest.Write(plan.ManifestPath, kept.Concat(Enumerable.Range(0, shards.Count).Select(i => fresh[i] ?? done[i]).OfType<ManifestEntry>()));
        }

        int finished = skipped + fresh.Count(f => f is not null);
        string recorded = $"{finished} of {Report.Count(shards.Count, "shard")} done and recorded in {plan.ManifestShown} (the same command encodes the rest)";
        if (memory.Token.IsCancellationRequested)
        {
            try
            {
                memory.Check(); // the guard's cancellation: --max-memory was passed
            }
            catch (InputLimitExceededException limit)
            {
                throw new CliException(ExitCodes.LimitExceeded, $"limit exceeded: {limit.Message}; {recorded}");
            }
            throw new CliException(ExitCodes.Interrupted, $"interrupted; {recorded}");
        }
        if (!failures.IsEmpty)
        {
            int code = 0;
            foreach ((int i, Exception e) in failures.OrderBy(f => f.Key))
            {
                (int c, string? message) = CliApp.Describe(e);
                if (code == 0) code = c;
                io.Stderr.WriteLine($"bytepiece: shard {shards[i].Given}: {message}");
            }
            io.Stderr.WriteLine($"bytepiece: {recorded}");
            return code;
        }
        if (!quiet) Summary(io, shards.Count, skipped, bytesDone, chunksDone, unit, tokensDone, clock.Elapsed);
        return ExitCodes.Success;
    }

    /// <summary>
    /// What the manifest already holds: the entries of other shards (kept as they are), the entry of each shard of
    /// this run, and the manifest read. A manifest of other settings is refused: one manifest, one model and one set of options.
    /// </summary>
    private static (List<ManifestEntry> Kept, ManifestEntry?[] Previous, ManifestContent? Earlier) Earlier(ShardPlan plan, ShardSettings settings, string folder)
    {
        var kept = new List<ManifestEntry>();
        var previous = new ManifestEntry?[plan.Shards.Count];
        if (!File.Exists(plan.ManifestPath)) return (kept, previous, null);
        ManifestContent earlier = Manifest.Read(plan.ManifestPath, plan.ManifestShown);
        var byOutput = new Dictionary<string, int>(ShardPlan.PathComparer);
        for (int i = 0; i < plan.Shards.Count; i++) byOutput[plan.Shards[i].Outputs[0]] = i;
        foreach (ManifestEntry entry in earlier.Entries)
        {
            if (settings.Difference(entry.Settings) is { } d)
                throw new CliException(ExitCodes.Usage, $"{plan.ManifestShown} records shards encoded with {d.What} ({d.Theirs}; this run: {d.Mine}): "
                    + "encode into another --output-dir (or --manifest), or delete the manifest to encode every shard again");
            if (!byOutput.TryGetValue(Manifest.Resolve(folder, entry.Outputs[0].Path), out int i))
            {
                kept.Add(entry);
                continue;
            }
            string recordedInput = Manifest.Resolve(folder, entry.Input.Path);
            if (!ShardPlan.PathComparer.Equals(recordedInput, plan.Shards[i].Input))
                throw new CliException(ExitCodes.Usage, $"{plan.Shards[i].Outputs[0]} was encoded from {recordedInput} ({plan.ManifestShown}); {plan.Shards[i].Given} would replace it: rename the input, or encode into another --output-dir");
            previous[i] = entry;
        }
        return (kept, previous, earlier);
    }

    /// <summary>The entry when its shard needs no work: its files as recorded (size and SHA-256), and its input the same size and either the same modification time or the same SHA-256.</summary>
    private static ManifestEntry? StillDone(ManifestEntry entry, Shard shard, string folder)
    {
        if (entry.Outputs.Count != shard.Outputs.Count) return null;
        for (int k = 0; k < shard.Outputs.Count; k++)
        {
            ShardFile recorded = entry.Outputs[k];
            var file = new FileInfo(shard.Outputs[k]);
            if (!ShardPlan.PathComparer.Equals(Manifest.Resolve(folder, recorded.Path), shard.Outputs[k]) || !file.Exists || file.Length != recorded.Bytes || Manifest.Sha256(file.FullName) != recorded.Sha256)
                return null;
        }
        var input = new FileInfo(shard.Input);
        if (!input.Exists || input.Length != entry.Input.Bytes) return null;
        if (input.LastWriteTimeUtc == entry.InputModified.ToUniversalTime()) return entry;
        // Touched or copied, perhaps unchanged: the content decides, and the entry takes the new time.
        return Manifest.Sha256(shard.Input) == entry.Input.Sha256 ? entry with { InputModified = input.LastWriteTimeUtc } : null;
    }

    /// <summary>Encodes one shard and describes it; an input that changes while it is read is an error (its output is then not recorded).</summary>
    private static ManifestEntry EncodeShard(Shard shard, ShardSettings settings, string folder, int threads, ShardEncoder encode, Action<CountingStream> reading)
    {
        var clock = Stopwatch.StartNew();
        var before = new FileInfo(shard.Input);
        long size = before.Length;
        DateTime modified = before.LastWriteTimeUtc;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        (long chunks, long tokens) counts;
        long read;
        using (var source = new CountingStream(new FileStream(shard.Input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), hash))
        {
            reading(source);
            counts = encode(source, shard, threads);
            read = source.BytesRead;
        }
        var after = new FileInfo(shard.Input);
        if (read != size || after.Length != size || after.LastWriteTimeUtc != modified)
            throw new IOException($"the input changed while it was encoded ({size:N0} bytes when opened, {read:N0} read, {after.Length:N0} now): its output is not recorded");
        ShardFile[] outputs = [.. shard.Outputs.Select(o => new ShardFile(Manifest.Relative(folder, o), new FileInfo(o).Length, Manifest.Sha256(o)))];
        var input = new ShardFile(Manifest.Relative(folder, shard.Input), read, Convert.ToHexStringLower(hash.GetHashAndReset()));
        return new ManifestEntry(input, modified, outputs, counts.chunks, counts.tokens, settings, clock.Elapsed.TotalSeconds);
    }

    private static void Summary(CliIO io, int shards, int skipped, long bytes, long chunks, string unit, long tokens, TimeSpan elapsed)
    {
        if (shards == skipped)
        {
            io.Stderr.WriteLine(shards == 0 ? "bytepiece: no shards to encode" : $"bytepiece: {Report.Count(shards, "shard")}, all already done");
            return;
        }
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        string rate = Report.RateMeasurable(bytes, seconds) ? string.Create(CultureInfo.InvariantCulture, $" ({bytes / 1e6 / seconds:F1} MB/s)") : "";
        io.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bytepiece: encoded {Report.Count(shards - skipped, "shard")}{(skipped > 0 ? $" ({skipped:N0} already done)" : "")}: {Report.Count(bytes, "byte")}, {Report.Count(chunks, unit)}, "
            + $"into {Report.Count(tokens, "token")} ({(tokens == 0 ? 0 : (double)bytes / tokens):F2} bytes/token) in {Report.Seconds(elapsed)}{rate}"));
    }
}
