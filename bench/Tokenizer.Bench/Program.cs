using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Running;

namespace BytePiece.Bench;

internal static class Program
{
    /// <summary>
    /// <c>dotnet run -c Release --project bench/Tokenizer.Bench -- --filter '*'</c> runs BenchmarkDotNet;
    /// <c>-- --quick</c> prints a rough MB/s table in seconds (for iterating, not for RESULTS.md).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args is ["--quick", ..])
        {
            Quick();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    private static void Quick()
    {
        foreach (string model in new[] { "bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model" })
        {
            var sw = Stopwatch.StartNew();
            var tokenizer = new BytePieceTokenizer(ModelFile.Load(BenchData.ModelPath(model)));
            Console.WriteLine($"{model}: loaded in {sw.ElapsedMilliseconds} ms");
            foreach (string corpus in new[] { "mixed", "zh", "en", "code" })
            {
                byte[] bytes = BenchData.Text(corpus, EncodeBenchmarks.TextBytes);
                var ids = new int[bytes.Length + 1];
                tokenizer.EncodeBytes(bytes, ids, out _, out int count);
                double best = double.MaxValue;
                for (int run = 0; run < 5; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeBytes(bytes, ids, out _, out count);
                    best = Math.Min(best, sw.Elapsed.TotalSeconds);
                }
                string text = Encoding.UTF8.GetString(bytes);
                double bestText = double.MaxValue;
                for (int run = 0; run < 3; run++)
                {
                    sw.Restart();
                    tokenizer.EncodeToIds(text);
                    bestText = Math.Min(bestText, sw.Elapsed.TotalSeconds);
                }
                Console.WriteLine($"  {corpus,-6} {bytes.Length / 1e6 / best,7:F1} MB/s bytes  {bytes.Length / 1e6 / bestText,7:F1} MB/s string  {(double)bytes.Length / count:F2} bytes/token");
            }
        }
    }
}
