using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Tests;

/// <summary>
/// A run without a stable NFC starter (combining marks after one letter) cannot be cut, so the streaming
/// encoder holds it until it ends: once, in linear time, at a small constant number of bytes per input byte.
/// </summary>
public class StreamingMarkRunTests(ITestOutputHelper output)
{
    private static byte[] MarkRun(int length)
    {
        byte[] run = new byte[length];
        run[0] = (byte)'a';
        for (int i = 1; i + 1 < length; i += 2) { run[i] = 0xCC; run[i + 1] = 0x81; } // U+0301
        return run[..(length % 2 == 0 ? length - 1 : length)];
    }

    private static int[] Encode(byte[] text)
    {
        using var stream = new MemoryStream(text);
        return new StreamingEncoder(BytePieceTokenizer.Default).EncodeAsync(stream).ToBlockingEnumerable().ToArray();
    }

    [SkippableFact]
    public void CombiningMarkRun_FromAStream_TakesLinearTime()
    {
        // Each read used to rescan the whole held run for a chunk end: 8/16/32 MB took 2.9/12/46 s.
        double Best(int length)
        {
            byte[] run = MarkRun(length);
            double best = double.MaxValue;
            for (int k = 0; k < 2; k++)
            {
                var clock = Stopwatch.StartNew();
                Encode(run);
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
            return best;
        }
        Best(1 << 20); // warm up
        double small = Best(4 << 20), large = Best(16 << 20);
        output.WriteLine($"4 MB: {small:F2} s, 16 MB: {large:F2} s, ratio {large / small:F1}");
        Assert.True(large < 4 * small * 2 + 0.5, $"4x the input took {large / small:F1}x the time ({small:F2} s, {large:F2} s)");
    }

    [SkippableFact]
    public void CombiningMarkRun_FromAStream_AllocatesAFewBytesPerInputByte_AndEqualsWholeText()
    {
        byte[] run = MarkRun(8 << 20);
        int[] expected = BytePieceTokenizer.Default.EncodeToIds(Encoding.UTF8.GetString(run)).ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread(); // a MemoryStream's reads complete at once: all on this thread
        int count = 0;
        bool equal = true;
        using (var stream = new MemoryStream(run))
            foreach (int id in new StreamingEncoder(BytePieceTokenizer.Default).EncodeAsync(stream).ToBlockingEnumerable())
                equal &= count < expected.Length && expected[count++] == id; // compared as they come: nothing collected
        double perByte = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / run.Length;
        output.WriteLine($"{perByte:F1} bytes allocated per input byte");
        Assert.True(equal && count == expected.Length, "the ids differ from the whole text's");
        Assert.True(perByte < 12, $"{perByte:F1} bytes allocated per input byte");
    }
}
