using Xunit;

namespace BytePiece.Tests;

/// <summary>The streaming lattice's store of settled back pointers reads back exactly what was appended.</summary>
public class CompactBackPointersTests
{
    [Fact]
    public void APeriodStartingJustBeforeTheSettlePoint_IsNotStoredPastIt()
    {
        // Ten values that do not repeat, then the period 1, 2, 3: it is found at index 10, so a settle point
        // of 11 or 12 would end inside its first copy (the window shifts by exactly the settle point).
        int[] values = [.. Enumerable.Range(100, 10), .. Enumerable.Repeat(new[] { 1, 2, 3 }, 60).SelectMany(x => x)];
        for (int settle = 8; settle <= 14; settle++)
        {
            var store = new CompactBackPointers(maxPeriod: 4);
            store.Append(values, settle);
            Assert.Equal(settle, store.Count);
            int second = values.Length - settle - store.Lookahead;
            store.Append(values.AsSpan(settle), second);
            Assert.Equal(settle + second, store.Count);
            for (int position = 1; position <= store.Count; position++) Assert.Equal(values[position - 1], store.At(position));
        }
    }
}
