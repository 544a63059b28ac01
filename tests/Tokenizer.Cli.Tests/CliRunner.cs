using System.Text;
using BytePiece.Cli;

namespace BytePiece.Tests;

/// <summary>Runs the <c>bytepiece</c> command in-process with its standard streams redirected.</summary>
internal static class CliRunner
{
    public static (int Code, byte[] Stdout, string Stderr) Run(byte[] stdin, params string[] args)
    {
        using var input = new MemoryStream(stdin);
        using var output = new MemoryStream();
        using var error = new StringWriter();
        int code = CliApp.Run(args, input, output, error);
        return (code, output.ToArray(), error.ToString());
    }

    public static (int Code, string Stdout, string Stderr) Run(string stdin, params string[] args)
    {
        var (code, stdout, stderr) = Run(Encoding.UTF8.GetBytes(stdin), args);
        return (code, Encoding.UTF8.GetString(stdout), stderr);
    }
}
