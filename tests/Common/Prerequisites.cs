using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace BytePiece.Testing;

/// <summary>What a test may need beyond the .NET SDK and the repository's <c>tests/data</c>.</summary>
internal enum Prerequisite
{
    /// <summary>The zh/en/code corpora (big data folder or <c>corpora/build.sh</c>) and <c>xz</c> to read them.</summary>
    Corpora,

    /// <summary>Upstream's <c>bytepiece.eu.plus.160k.model</c> (big data folder).</summary>
    LargeModel,

    /// <summary>Debian's <c>sentencepiece</c>: spm_train, spm_encode, spm_normalize.</summary>
    SentencePieceTools,

    /// <summary>Debian's <c>python3-sentencepiece</c>, run as /usr/bin/python3.</summary>
    SentencePiecePython,

    /// <summary>The HuggingFace tokenizers Node binding in <c>bench/hf-node</c>, and node.</summary>
    HuggingFaceNode,

    /// <summary>Native AOT's C toolchain on linux-x64: Debian's <c>clang</c>, which links the executable.</summary>
    NativeToolchain,

    /// <summary>Debian's <c>python3-numpy</c>, run as /usr/bin/python3 (the independent reader of Megatron datasets).</summary>
    NumPy,
    /// <summary>Debian's <c>python3-distributed</c> (Dask distributed), run as /usr/bin/python3: the cluster recipe's test.</summary>
    DaskDistributed,
}

/// <summary>
/// A test that needs what a fresh clone lacks is reported as skipped, never passed nor failed. To make a
/// test so: write <c>[SkippableFact]</c> / <c>[SkippableTheory]</c> (package Xunit.SkippableFact) instead of
/// <c>[Fact]</c> / <c>[Theory]</c>; the helpers that reach a prerequisite (<c>SharedData.Corpus</c>, a model
/// not in tests/data, <c>SentencePiecePeer</c>, the HuggingFace peer) call <see cref="Require"/>, which throws
/// xunit's SkipException naming the fix. Code that reaches one another way calls <c>Prerequisites.Require(Prerequisite.X)</c>
/// first. Under a plain [Fact] the same exception is a failure, so a forgotten attribute shows. Each probe
/// runs once per test run. <c>BYTEPIECE_TEST_PEERS=none</c> hides the peer tools (to try the fresh-clone
/// result on a full machine).
/// </summary>
internal static class Prerequisites
{
    /// <summary>The one command that gets everything (CI runs it).</summary>
    public const string GetEverything = "bash .ci/run (installs the peers; big data from ../shared or BYTEPIECE_TEST_DATA)";

    private static readonly ConcurrentDictionary<Prerequisite, string?> s_missing = new();

    /// <summary>Skips the running test (see the class comment) when <paramref name="prerequisite"/> is missing.</summary>
    public static void Require(Prerequisite prerequisite)
    {
        if (Missing(prerequisite) is { } why) throw new SkipException(why);
    }

    public static bool Has(Prerequisite prerequisite) => Missing(prerequisite) is null;

    /// <summary>Null when the prerequisite is present; else what is missing and the command that gets it.</summary>
    public static string? Missing(Prerequisite prerequisite) => s_missing.GetOrAdd(prerequisite, Probe);

    /// <summary>The one-line summary of every missing prerequisite, or null when nothing is missing.</summary>
    public static string? Summary()
    {
        var missing = Enum.GetValues<Prerequisite>().Select(Missing).OfType<string>().ToList();
        return missing.Count == 0
            ? null
            : $"Prerequisites missing, tests needing them skipped: {string.Join("; ", missing)}. Everything: {GetEverything}";
    }

    private static bool PeersHidden => Environment.GetEnvironmentVariable("BYTEPIECE_TEST_PEERS") == "none";

    private static string? Probe(Prerequisite prerequisite) => prerequisite switch
    {
        Prerequisite.Corpora => !SharedFolder.HasCorpora()
                ? $"the corpora (put the big data at ../shared or set {SharedFolder.DataVariable}, or: bash corpora/build.sh)"
                : OnPath("xz") ? null : "xz (apt-get install xz-utils)",
        Prerequisite.LargeModel => SharedFolder.HasDataFile(Path.Combine("models", "bytepiece", "bytepiece.eu.plus.160k.model"))
            ? null
            : $"the 160k BytePiece model (put the big data at ../shared or set {SharedFolder.DataVariable})",
        Prerequisite.SentencePieceTools => !PeersHidden && OnPath("spm_train") && OnPath("spm_encode") && OnPath("spm_normalize")
            ? null
            : "spm_train/spm_encode (apt-get install sentencepiece)",
        Prerequisite.SentencePiecePython => !PeersHidden && Succeeds("/usr/bin/python3", "-c", "import sentencepiece")
            ? null
            : "python3-sentencepiece (apt-get install python3-sentencepiece)",
        Prerequisite.HuggingFaceNode => !PeersHidden && OnPath("node")
                && Directory.Exists(Path.Combine(SharedFolder.RepositoryRoot, "bench", "hf-node", "node_modules", "tokenizers"))
            ? null
            : "the HuggingFace tokenizers Node binding (npm install --prefix bench/hf-node)",
        Prerequisite.NativeToolchain => System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == "linux-x64" && OnPath("clang")
            ? null
            : "clang on linux-x64, for Native AOT (apt-get install clang)",
        Prerequisite.NumPy => !PeersHidden && Succeeds("/usr/bin/python3", "-c", "import numpy")
            ? null
            : "python3-numpy (apt-get install python3-numpy)",
        Prerequisite.DaskDistributed => !PeersHidden && Succeeds("/usr/bin/python3", "-c", "import distributed")
            ? null
            : "python3-distributed, for the Dask recipe (apt-get install python3-distributed)",
        _ => throw new ArgumentOutOfRangeException(nameof(prerequisite)),
    };

    private static bool OnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    private static bool Succeeds(string program, params string[] args)
    {
        if (!File.Exists(program)) return false;
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi);
        if (process is null) return false;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

/// <summary>
/// The [Fact] of <see cref="Prerequisites"/>'s summary, decided at discovery: when something is missing the
/// test is skipped and named by the summary, since <c>dotnet test</c> prints a skipped test's name but not
/// its reason; so the run shows one line naming every missing prerequisite and the command that gets it.
/// </summary>
internal sealed class PrerequisitesSummaryFactAttribute : FactAttribute
{
    public PrerequisitesSummaryFactAttribute()
    {
        if (Prerequisites.Summary() is not { } summary) return;
        Skip = summary;
        DisplayName = summary;
    }
}

/// <summary>The summary line of the run (one per test project).</summary>
public class PrerequisitesSummary
{
    [PrerequisitesSummaryFact]
    public void EveryPrerequisiteOfTheTestsIsPresent() => Assert.Null(Prerequisites.Summary());
}
