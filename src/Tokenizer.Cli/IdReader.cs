using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// Reads whitespace-separated decimal ids from a stream a block at a time, so decoding a line of any length
/// holds one block, not the line (a 218 MB line of ids read as a string took 3.5 GB). Whitespace is ASCII
/// (space, tab, CR, VT, FF); <c>\n</c> also ends a line. A leading UTF-8 byte order mark is skipped.
/// </summary>
internal static class IdReader
{
    private const int ShownTokenLength = 40;

    /// <summary>
    /// Calls <paramref name="onId"/> for each id in order and <paramref name="onLineEnd"/> after each line
    /// (the last one too when it has no <c>\n</c> but is not empty), as <see cref="TextReader.ReadLine"/> splits lines.
    /// </summary>
    /// <param name="input">The ids.</param>
    /// <param name="arguments">The ids came from the command's arguments: errors say so instead of giving a line number.</param>
    /// <param name="onId">Receives an id and where it was ("line 3", "argument").</param>
    /// <param name="onLineEnd">Called at the end of each line.</param>
    public static void Read(Stream input, bool arguments, Action<int, Func<string>> onId, Action? onLineEnd)
    {
        var buffer = new byte[1 << 16];
        var token = new List<byte>(ShownTokenLength);
        long line = 1, value = 0;
        bool inToken = false, valid = true, lineOpen = false, start = true;
        string Where() => arguments ? "argument" : $"line {line}";
        void EndToken()
        {
            if (!valid) throw new CliException(ExitCodes.BadInput, $"not a token id: \"{Encoding.UTF8.GetString([.. token])}{(token.Count == ShownTokenLength ? "..." : "")}\" ({Where()})");
            onId((int)value, Where);
            inToken = false;
            valid = true;
            value = 0;
            token.Clear();
        }
        int read;
        while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            int from = 0;
            if (start && read >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) from = 3;
            start = false;
            for (int i = from; i < read; i++)
            {
                byte b = buffer[i];
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\v' or (byte)'\f' or (byte)'\n')
                {
                    if (inToken) EndToken();
                    if (b != '\n')
                    {
                        lineOpen = true;
                        continue;
                    }
                    onLineEnd?.Invoke();
                    line++;
                    lineOpen = false;
                    continue;
                }
                lineOpen = inToken = true;
                if (token.Count < ShownTokenLength) token.Add(b);
                if (b is >= (byte)'0' and <= (byte)'9' && valid)
                {
                    value = value * 10 + (b - '0');
                    valid = value <= int.MaxValue;
                }
                else
                {
                    valid = false;
                }
            }
        }
        if (inToken) EndToken();
        if (lineOpen) onLineEnd?.Invoke();
    }
}
