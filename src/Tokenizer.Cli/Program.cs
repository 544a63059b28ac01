namespace BytePiece.Cli;

internal static class Program
{
    private static int Main(string[] args)
        => CliApp.Run(args, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
}
