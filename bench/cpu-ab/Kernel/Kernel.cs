using System.Runtime.InteropServices;
using BytePiece;

/// <summary>The measured call, loaded once per build under test (Host gives each its own load context).</summary>
public static class Kernel
{
    private static readonly Dictionary<string, BytePieceTokenizer> Tokenizers = [];

    /// <summary>
    /// Thread CPU seconds of the fastest of <paramref name="reps"/> <c>EncodeBytes</c> calls: on a loaded machine
    /// the wall clock counts the minutes other processes hold the cores, CPU time mostly does not.
    /// </summary>
    public static double Run(string model, byte[] text, int reps, out long checksum)
    {
        if (!Tokenizers.TryGetValue(model, out var tokenizer)) Tokenizers[model] = tokenizer = new BytePieceTokenizer(ModelFile.Load(model));
        var ids = new int[text.Length + 1];
        double best = double.MaxValue;
        checksum = 0;
        for (int r = 0; r < reps; r++)
        {
            double before = ThreadCpuSeconds();
            tokenizer.EncodeBytes(text, ids, out _, out int count);
            best = Math.Min(best, ThreadCpuSeconds() - before);
            long h = count;
            for (int i = 0; i < count; i++) h = h * 31 + ids[i];
            checksum = h;
        }
        return best;
    }

    [DllImport("libc")]
    private static extern int clock_gettime(int clock, out Timespec time);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static double ThreadCpuSeconds()
    {
        clock_gettime(3, out Timespec t); // CLOCK_THREAD_CPUTIME_ID
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
