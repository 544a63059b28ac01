using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>The entropy of a long text keeps its precision (it is not a small difference of two large sums).</summary>
public class EntropyPrecisionTests
{
    [SkippableTheory]
    [InlineData(1 << 10)]
    [InlineData(1 << 14)]
    [InlineData(1 << 20)]
    public void TheEntropyOfALongText_EqualsTheSumOverItsLines_To1e10Relative(int size)
    {
        // Lines are chunks (a line and its newline), so the text's segmentations are the product of theirs
        // and its entropy is exactly the sum; the marginal-based formula was off by about 1e-6 here.
        var random = new Random(20261203);
        string[] words = ["the", "tokenizer", "lattice", "广州", "白云机场", "entropy", "of", "a", "segmentation", "42", "x = y;"];
        var text = new StringBuilder();
        var lines = new List<string>();
        while (text.Length < size)
        {
            var line = new StringBuilder();
            int count = random.Next(5, 30);
            for (int i = 0; i < count; i++) line.Append(words[random.Next(words.Length)]).Append(' ');
            line.Append('\n');
            lines.Add(line.ToString());
            text.Append(line);
        }
        BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;
        double sum = 0;
        foreach (string line in lines) sum += tokenizer.Entropy(line, 1);
        double whole = tokenizer.Entropy(text.ToString(), 1);
        Assert.True(Math.Abs(whole - sum) <= 1e-10 * sum, $"whole {whole:R}, sum over lines {sum:R}, relative {Math.Abs(whole - sum) / sum:E2}");
    }
}
