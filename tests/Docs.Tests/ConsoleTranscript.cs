namespace BytePiece.Docs.Tests;

/// <summary>
/// A <c>console</c> block: commands after <c>$ </c> (a line ending in <c>\</c> continues on the next), each followed
/// by the output it prints (see <see cref="ExpectedOutput"/>).
/// </summary>
internal sealed record ConsoleTranscript(IReadOnlyList<(string Command, string Output)> Steps)
{
    public static ConsoleTranscript Parse(string text)
    {
        var steps = new List<(string, string)>();
        string? command = null;
        var output = new List<string>();
        string[] lines = text.TrimEnd('\n').Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith("$ ", StringComparison.Ordinal) || line == "$")
            {
                if (command is not null) steps.Add((command, string.Join('\n', output)));
                output.Clear();
                command = line.Length > 1 ? line[2..] : "";
                while (command.EndsWith('\\') && i + 1 < lines.Length) command += "\n" + lines[++i];
                continue;
            }
            if (command is null) throw new FormatException($"a console block must start with a '$ ' command line, not \"{line}\"");
            output.Add(line);
        }
        if (command is not null) steps.Add((command, string.Join('\n', output)));
        return new ConsoleTranscript(steps);
    }
}
