namespace BytePiece.Cli;

/// <summary>
/// <c>--max-memory</c>: the process's resident memory (model, buffers and runtime included), read every
/// so many steps; past the cap the run stops with one clear line (exit 5) and leaves no output file.
/// </summary>
internal sealed class MemoryGuard(long? limit)
{
    private int _calls;

    public void Check()
    {
        if (limit is not long cap || (++_calls & 255) != 0) return;
        long used = Environment.WorkingSet;
        if (used > cap)
            throw new InputLimitExceededException($"the process uses {used / (1 << 20):N0} MiB, more than --max-memory {cap / (1 << 20):N0} MiB");
    }
}
