using System.CommandLine;

namespace BytePiece.Cli;

/// <summary>
/// <c>bytepiece merge-datasets</c>: Megatron-LM indexed datasets concatenated in the order given, as Megatron's
/// <c>IndexedDatasetBuilder.add_index</c> (<c>tools/merge_datasets.py</c>) concatenates them: the data files one
/// after the other, the sequence lengths one after the other (the pointers recomputed from them), and each
/// dataset's document indices after the first (its leading 0) shifted by the sequences before it.
/// </summary>
internal static class MergeDatasetsCommand
{
    public static Command Create(CliIO io)
    {
        var datasets = new Argument<string[]>("datasets")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "The datasets to concatenate, in order: each a PREFIX of PREFIX.bin and PREFIX.idx (or either file's name).",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The merged dataset's PREFIX: writes PREFIX.bin and PREFIX.idx, each to a temporary file renamed when both are complete.",
            Required = true,
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No summary line on stderr." };
        var command = new Command("merge-datasets", "Concatenate Megatron-LM indexed datasets (.bin + .idx) of one dtype, in the order given.") { datasets, output, quiet };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            if (target == "-") throw new CliException(ExitCodes.Usage, "merge-datasets writes two files, PREFIX.bin and PREFIX.idx: --output needs a PREFIX, not stdout");
            var inputs = new List<(MegatronIndex Index, string Data, long DataLength)>();
            foreach (string prefix in parse.GetValue(datasets)!.Select(MegatronFiles.Prefix))
            {
                io.Cancellation.ThrowIfCancellationRequested();
                string indexPath = MegatronFiles.IndexPath(prefix), dataPath = MegatronFiles.DataPath(prefix);
                MegatronIndex index;
                using (var stream = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.Read))
                    index = MegatronIndex.ReadHeader(stream, indexPath);
                if (inputs.Count > 0 && index.DTypeCode != inputs[0].Index.DTypeCode)
                    throw new CliException(ExitCodes.BadInput, $"{indexPath} holds {MegatronIndex.DTypeName(index.DTypeCode)} tokens and {inputs[0].Index.Path} "
                        + $"{MegatronIndex.DTypeName(inputs[0].Index.DTypeCode)}: merge-datasets concatenates datasets of one dtype (encoded with one model)");
                long dataLength = new FileInfo(dataPath).Length;
                index.Check(dataLength);
                inputs.Add((index, dataPath, dataLength));
            }
            long sequences = inputs.Sum(i => i.Index.Sequences), documents = inputs.Sum(i => i.Index.Documents);
            byte dtype = inputs[0].Index.DTypeCode;
            MegatronFiles.Write(MegatronFiles.Prefix(target), inputs.SelectMany(i => new[] { i.Index.Path, i.Data }),
                data =>
                {
                    foreach (var (_, path, length) in inputs) Copy(path, length, data, io.Cancellation);
                },
                indexStream =>
                {
                    var merged = new MegatronIndexWriter(indexStream, dtype, sequences, documents);
                    foreach (var (index, _, _) in inputs)
                    {
                        using var lengths = index.OpenAt(index.LengthsOffset);
                        LittleEndianItems.Read<int>(lengths, index.Sequences, merged.AddLengths);
                    }
                    foreach (var (index, _, _) in inputs)
                    {
                        using var lengths = index.OpenAt(index.LengthsOffset);
                        LittleEndianItems.Read<int>(lengths, index.Sequences, merged.AddPointersOf);
                    }
                    long shift = 0;
                    foreach (var (index, _, _) in inputs)
                    {
                        using var ends = index.OpenAt(index.DocumentIndicesOffset + 8); // after the leading 0
                        LittleEndianItems.Read<long>(ends, index.Documents, batch => merged.AddDocumentEnds(batch, shift));
                        shift += index.Sequences;
                    }
                    merged.Finish();
                });
            if (!parse.GetValue(quiet))
                io.Stderr.WriteLine($"bytepiece: merged {Report.Count(inputs.Count, "dataset")} ({MegatronIndex.DTypeName(dtype)}) into {MegatronFiles.DataPath(MegatronFiles.Prefix(target))} "
                    + $"and {MegatronFiles.IndexPath(MegatronFiles.Prefix(target))}: {Report.Count(documents, "document")}, {Report.Count(sequences, "sequence")}, {Report.Count(inputs.Sum(i => i.DataLength) / MegatronIndex.ItemSize(dtype), "token")}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Appends a data file, which must still have the length its index was checked against.</summary>
    private static void Copy(string path, long checkedLength, Stream output, CancellationToken cancellation)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 20];
        long copied = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            output.Write(buffer, 0, read);
            copied += read;
        }
        if (copied != checkedLength) throw new IOException($"{path} changed while it was merged ({copied} bytes, checked at {checkedLength})");
    }
}
