using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// Standard error that never fails the run: a write to a closed or full stderr (<c>2&gt;&amp;-</c>,
/// <c>2&gt;/dev/full</c>) is dropped, and the exit code still tells what happened.
/// </summary>
internal sealed class QuietErrorWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Try(() => inner.Write(value));

    public override void Write(string? value) => Try(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        string text = buffer.ToString();
        Try(() => inner.Write(text));
    }

    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));

    public override void Flush() => Try(inner.Flush);

    private static void Try(Action write)
    {
        try
        {
            write();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
