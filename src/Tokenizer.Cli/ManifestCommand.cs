using System.CommandLine;
using System.Globalization;

namespace BytePiece.Cli;

/// <summary><c>bytepiece manifest verify|merge</c>: checks a shard run's manifest against its files, and joins the manifests of shard sets encoded apart.</summary>
internal static class ManifestCommand
{
    public static Command Create(CliIO io) => new("manifest", "Check or merge the manifests of shard runs (encode --output-dir).")
    {
        Verify(io),
        Merge(io),
    };

    private static Command Verify(CliIO io)
    {
        var path = new Argument<string>("manifest") { Description = "The manifest file, or the folder holding manifest.jsonl." };
        var inputs = new Option<bool>("--inputs") { Description = "Also read every input and check its size and SHA-256 (they may have moved: without this, only the outputs are checked)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No summary line on stderr." };
        var command = new Command("verify", "Check every entry of a manifest: each output file present with its size and SHA-256 (and with --inputs each input). Exit 6 naming each difference.") { path, inputs, quiet };
        command.SetAction(parse =>
        {
            ManifestContent manifest = ReadWhole(parse.GetValue(path)!);
            CheckOneSettings([manifest]);
            CheckNoDuplicates(manifest.Entries.Select(e => (e, manifest.Shown)), manifest.Folder);
            bool checkInputs = parse.GetValue(inputs);
            IReadOnlyList<ManifestEntry> entries = manifest.Entries;
            var differences = new List<string>[entries.Count];
            Parallel.For(0, entries.Count, new ParallelOptions { CancellationToken = io.Cancellation }, i =>
            {
                differences[i] = [];
                foreach (ShardFile output in entries[i].Outputs) Check(output, "output", manifest.Folder, differences[i]);
                if (checkInputs) Check(entries[i].Input, "input", manifest.Folder, differences[i]);
            });
            List<string> all = [.. differences.SelectMany(d => d)];
            foreach (string difference in all) io.Stderr.WriteLine($"bytepiece: {difference}");
            if (all.Count > 0)
            {
                io.Stderr.WriteLine($"bytepiece: {manifest.Shown}: {Report.Count(all.Count, "difference")} in {Report.Count(differences.Count(d => d.Count > 0), "shard")} of {entries.Count:N0}");
                return ExitCodes.CheckFailed;
            }
            if (!parse.GetValue(quiet))
            {
                long files = entries.Sum(e => e.Outputs.Count), bytes = entries.Sum(e => e.Outputs.Sum(o => o.Bytes));
                io.Stderr.WriteLine($"bytepiece: {manifest.Shown}: {Report.Count(entries.Count, "shard")} verified: {Report.Count(files, "output file")} ({Report.Count(bytes, "byte")}) as recorded"
                    + (checkInputs ? $", and {Report.Count(entries.Count, "input")}" : ""));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Merge(CliIO io)
    {
        var manifests = new Argument<string[]>("manifests") { Arity = ArgumentArity.OneOrMore, Description = "The manifests to merge (files, or folders holding manifest.jsonl), in the order their shards are to be listed." };
        var output = new Option<string>("--output", "-o") { Description = "The merged manifest: a file, or a folder (its manifest.jsonl). Its paths are made relative to its folder. Written to a temporary file and renamed when complete.", Required = true };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No summary line on stderr." };
        var command = new Command("merge", "Merge the manifests of shard sets encoded apart (other machines, other tasks) into one; refuses a mix of models, options or tool versions, and a shard listed twice.") { manifests, output, quiet };
        command.SetAction(parse =>
        {
            ManifestContent[] parts = [.. parse.GetValue(manifests)!.Select(ReadWhole)];
            CheckOneSettings(parts);
            string target = Manifest.PathOf(parse.GetValue(output)!), folder = Manifest.FolderOf(target);
            ManifestEntry[] merged = [.. parts.SelectMany(p => p.Entries.Select(e => Manifest.Rebase(e, p.Folder, folder)))];
            CheckNoDuplicates(parts.SelectMany(p => p.Entries.Select(e => (Manifest.Rebase(e, p.Folder, folder), p.Shown))), folder);
            Directory.CreateDirectory(folder);
            Manifest.Write(target, merged);
            if (!parse.GetValue(quiet))
                io.Stderr.WriteLine($"bytepiece: merged {Report.Count(parts.Length, "manifest")}, {Report.Count(merged.Length, "shard")}, into {Manifest.Shown(parse.GetValue(output)!)}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A manifest for verify and merge: one that ends in a line cut short comes from a killed run, and is refused until that run is finished.</summary>
    private static ManifestContent ReadWhole(string fileOrFolder)
    {
        string path = Manifest.PathOf(fileOrFolder), shown = Manifest.Shown(fileOrFolder);
        if (!File.Exists(path)) throw new CliException(ExitCodes.IoError, $"manifest not found: {shown}");
        ManifestContent manifest = Manifest.Read(path, shown);
        if (manifest.Torn)
            throw new CliException(ExitCodes.BadInput, $"{shown} ends in a line cut short: the run that wrote it was stopped; run it again to finish it (it skips the shards already done)");
        return manifest;
    }

    /// <summary>Refuses manifests whose shards were not all encoded with one model, one set of options and one tool version.</summary>
    private static void CheckOneSettings(IReadOnlyList<ManifestContent> manifests)
    {
        (ManifestEntry Entry, string Path)? first = null;
        foreach (ManifestContent manifest in manifests)
            foreach (ManifestEntry entry in manifest.Entries)
            {
                if (first is not { } f)
                {
                    first = (entry, manifest.Shown);
                    continue;
                }
                if (f.Entry.Settings.Difference(entry.Settings) is { } d)
                    throw new CliException(ExitCodes.BadInput, $"shards encoded with {d.What} cannot be mixed: {d.Mine} in {Where(f.Entry, f.Path)}, {d.Theirs} in {Where(entry, manifest.Shown)}; "
                        + "the shards of one manifest share one model, options and tool version");
            }
    }

    /// <summary>Refuses a shard listed twice: the same output file, or the same input, in two entries.</summary>
    private static void CheckNoDuplicates(IEnumerable<(ManifestEntry Entry, string Path)> entries, string folder)
    {
        var outputs = new Dictionary<string, string>(ShardPlan.PathComparer);
        var inputs = new Dictionary<string, string>(ShardPlan.PathComparer);
        foreach ((ManifestEntry entry, string path) in entries)
        {
            string input = Manifest.Resolve(folder, entry.Input.Path);
            if (!inputs.TryAdd(input, path)) throw new CliException(ExitCodes.BadInput, $"input {input} is encoded twice (in {inputs[input]} and {path})");
            foreach (ShardFile output in entry.Outputs)
            {
                string full = Manifest.Resolve(folder, output.Path);
                if (!outputs.TryAdd(full, path)) throw new CliException(ExitCodes.BadInput, $"output {full} is listed twice (in {outputs[full]} and {path})");
            }
        }
    }

    private static string Where(ManifestEntry entry, string manifestPath) => $"{manifestPath} (shard {entry.Input.Path})";

    /// <summary>Adds what differs between a recorded file and the file on disk.</summary>
    private static void Check(ShardFile recorded, string role, string folder, List<string> differences)
    {
        string path = Manifest.Resolve(folder, recorded.Path);
        var file = new FileInfo(path);
        try
        {
            Compare(recorded, role, path, file, differences);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            differences.Add($"{role} {recorded.Path}: unreadable: {e.Message}");
        }
    }

    private static void Compare(ShardFile recorded, string role, string path, FileInfo file, List<string> differences)
    {
        if (!file.Exists)
            differences.Add($"{role} {recorded.Path}: missing");
        else if (file.Length != recorded.Bytes)
            differences.Add(string.Create(CultureInfo.InvariantCulture, $"{role} {recorded.Path}: {file.Length:N0} bytes, the manifest says {recorded.Bytes:N0}"));
        else if (Manifest.Sha256(path) is var sha && sha != recorded.Sha256)
            differences.Add($"{role} {recorded.Path}: SHA-256 {sha}, the manifest says {recorded.Sha256}");
    }
}
