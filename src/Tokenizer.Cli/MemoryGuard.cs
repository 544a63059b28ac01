namespace BytePiece.Cli;

/// <summary>
/// <c>--max-memory</c>: the process's resident memory (model, buffers and runtime included). A limit the
/// process already passes when the work starts (the model loaded) is refused at once. During the work a
/// timer reads the memory every few milliseconds, so one huge line cannot slip between checks; past the cap
/// it cancels the work (exit 5, no output file), and if the work does not stop within a moment (one
/// sentence of a .model being encoded does not look at the token), the process is stopped with the same
/// line and code.
/// </summary>
internal sealed class MemoryGuard : IDisposable
{
    private const int PeriodMilliseconds = 5;
    private const int GraceMilliseconds = 25;

    private readonly long _cap;
    private readonly CancellationTokenSource _cancel;
    private readonly Timer? _timer;
    private long _exceeded; // the resident size seen past the cap, or 0
    private long _exceededAt;
    private int _disposed;
    private int _stopping;

    /// <summary>Set by the real process (<see cref="Program"/>): stops it with this line and exit code 5 when cancelling was not enough. Null in-process.</summary>
    internal static Action<string>? HardStop { get; set; }

    public MemoryGuard(long? limit, CancellationToken outer)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        if (limit is not long cap) return;
        _cap = cap;
        long used = Environment.WorkingSet;
        if (used > cap)
        {
            _cancel.Dispose();
            throw new InputLimitExceededException($"--max-memory {Size(cap)} is less than the process uses before reading any input ({Size(used)}, the model loaded)");
        }
        _timer = new Timer(_ => Poll(), null, PeriodMilliseconds, PeriodMilliseconds);
    }

    /// <summary>Cancelled by Ctrl-C/SIGTERM or by the memory passing the cap.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Throws the limit error once the cap has been passed (cheap: called per part written).</summary>
    public void Check()
    {
        if (Interlocked.Read(ref _exceeded) > 0) throw Exceeded();
    }

    /// <summary>Runs the work; a cancellation the guard caused is reported as the limit it is, not as an interruption.</summary>
    public void Run(Action work)
    {
        try
        {
            work();
        }
        catch (OperationCanceledException) when (Interlocked.Read(ref _exceeded) > 0)
        {
            throw Exceeded();
        }
    }

    private void Poll()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        long exceeded = Interlocked.Read(ref _exceeded);
        if (exceeded == 0)
        {
            long used = Environment.WorkingSet;
            if (used <= _cap) return;
            Interlocked.Exchange(ref _exceededAt, Environment.TickCount64);
            Interlocked.Exchange(ref _exceeded, used);
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The work ended between the read and the cancel.
            }
            return;
        }
        if (Environment.TickCount64 - Interlocked.Read(ref _exceededAt) > GraceMilliseconds && Interlocked.Exchange(ref _stopping, 1) == 0) HardStop?.Invoke($"limit exceeded: {Exceeded().Message}; no output file was written");
    }

    private InputLimitExceededException Exceeded()
        => new($"the process uses {Size(Interlocked.Read(ref _exceeded))}, more than --max-memory {Size(_cap)}");

    private static string Size(long bytes) => bytes < 1 << 20
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes:N0} bytes")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):N1} MiB");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _timer?.Dispose();
        _cancel.Dispose();
    }
}
