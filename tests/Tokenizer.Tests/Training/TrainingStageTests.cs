using System.Text;
using System.Text.RegularExpressions;
using BytePiece.Training;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Each training stage against a brute-force oracle on tiny corpora (fixed seeds).</summary>
public class TrainingStageTests
{
    // BMP only, so that the regex (which counts UTF-16 units) counts code points like Python.
    private static readonly string[] Alphabet = ["a", "b", "c", " ", "\n", "\r", "中", "文", "é", "1", "٣", "\u0301"];

    private static Gen<string> Text(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(Gen.Elements(Alphabet), n)).Select(parts => string.Concat(parts));

    /// <summary>Upstream's training split, as its regex (on NFC text).</summary>
    internal static List<byte[]> RegexChunks(string text, int maxChars, int maxNewlines, bool isolateDigits)
    {
        string pattern = isolateDigits
            ? $@"\d|[^\n\d]{{0,{maxChars}}}\n{{1,{maxNewlines}}}|[^\n\d]{{1,{maxChars}}}"
            : $@".{{0,{maxChars}}}\n{{1,{maxNewlines}}}|.{{1,{maxChars}}}";
        return Regex.Matches(text.Normalize(NormalizationForm.FormC), pattern).Select(m => Encoding.UTF8.GetBytes(m.Value)).ToList();
    }

    [SkippableFact]
    public void Chunker_EqualsUpstreamRegex_WhereverTheBlocksAreCut()
    {
        var gen = from text in Text(60)
                  from maxChars in Gen.Choose(1, 6)
                  from maxNewlines in Gen.Choose(1, 3)
                  from digits in Gen.Elements(false, true)
                  from cuts in Gen.ArrayOf(Gen.Choose(0, 200), 3)
                  select (text, maxChars, maxNewlines, digits, cuts);
        TestVocab.Check(gen, c =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(c.text.Normalize(NormalizationForm.FormC));
            var chunker = new TrainingChunker(c.maxChars, c.maxNewlines, c.digits);
            var got = new List<byte[]>();
            int pos = 0;
            foreach (int cut in c.cuts.Select(x => Math.Min(x, bytes.Length)).Order())
            {
                int at = cut;
                while (at < bytes.Length && at > pos && (bytes[at] & 0xC0) == 0x80) at++; // blocks end on characters
                if (at <= pos) continue;
                chunker.Feed(bytes.AsSpan(pos, at - pos), chunk => got.Add(chunk.ToArray()));
                pos = at;
            }
            chunker.Feed(bytes.AsSpan(pos), chunk => got.Add(chunk.ToArray()));
            chunker.Finish(chunk => got.Add(chunk.ToArray()));
            var expected = RegexChunks(c.text, c.maxChars, c.maxNewlines, c.digits);
            return got.Count == expected.Count && got.Zip(expected).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        }, maxTest: 1000);
    }

    [SkippableFact]
    public void Chunker_CountsCodePoints_NotUtf16Units()
    {
        var chunker = new TrainingChunker(2, 100, false);
        var got = new List<string>();
        chunker.Feed(Encoding.UTF8.GetBytes("😀😀😀\n\n"), c => got.Add(Encoding.UTF8.GetString(c)));
        chunker.Finish(c => got.Add(Encoding.UTF8.GetString(c)));
        Assert.Equal(["😀😀", "😀\n\n"], got);
    }

    [SkippableFact]
    public void CorpusReader_BlocksNormalizeLikeTheWhole()
    {
        // Combining marks everywhere, tiny reads: every block cut must keep NFC of the parts == NFC of the whole.
        var gen = Gen.ArrayOf(Gen.Elements("e", "\u0301", "\u0327", "A", "\n", "가", "\u1161", "\u11A8", "中"), 3000).Select(string.Concat);
        TestVocab.Check(gen, text =>
        {
            var reader = new CorpusTextReader(new TrickleStream(Encoding.UTF8.GetBytes(text), [1, 2, 3, 4, 5, 6, 7]), blockSize: 64);
            var all = new List<byte>();
            while (reader.TryRead(out ReadOnlyMemory<byte> block)) all.AddRange(block.ToArray());
            return all.ToArray().AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(text.Normalize(NormalizationForm.FormC)));
        }, maxTest: 50);
    }

    [SkippableFact]
    public void CorpusReader_InvalidUtf8_BecomesReplacementCharacters_AndIsCounted()
    {
        var reader = new CorpusTextReader(new MemoryStream([(byte)'a', 0xFF, (byte)'b', 0xE4, 0xB8]));
        Assert.True(reader.TryRead(out ReadOnlyMemory<byte> block));
        Assert.Equal("a\uFFFDb\uFFFD", Encoding.UTF8.GetString(block.Span));
        Assert.Equal(2, reader.InvalidSequences);
    }

    private static Dictionary<string, long> BruteCounts(List<byte[]> chunks, int order)
    {
        var counts = new Dictionary<string, long>();
        foreach (byte[] chunk in chunks)
            for (int i = 0; i < chunk.Length; i++)
                for (int l = 1; l <= order && i + l <= chunk.Length; l++)
                {
                    string key = Convert.ToHexString(chunk, i, l);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
        return counts;
    }

    private static TrainerOptions Options(int order, long minCount, int threads) => new()
    {
        VocabSizes = [300], Order = order, MinCount = minCount, Threads = threads, MaxChunkChars = 8, MaxNewlinesPerChunk = 2,
    };

    private static readonly Action<string, long, long?> NoReport = (_, _, _) => { };

    [SkippableFact]
    public void NGramModel_EqualsBruteForce_ConditionalLogProbabilities()
    {
        var gen = from texts in Gen.ArrayOf(Text(30), 6)
                  from order in Gen.Choose(2, 5)
                  from minCount in Gen.Choose(1, 3)
                  from threads in Gen.Choose(1, 3)
                  select (texts, order, minCount, threads);
        TestVocab.Check(gen, c =>
        {
            var chunks = c.texts.SelectMany(t => RegexChunks(t, 8, 2, false)).ToList();
            var brute = BruteCounts(chunks, c.order);
            var stage = BytePieceTrainer.BuildNGramModel(TrainingCorpus.FromTexts(c.texts), Options(c.order, c.minCount, c.threads), null, NoReport, default);
            NGramModel model = stage.Model;
            long total = 0;
            for (int b = 0; b < 256; b++) total += Math.Max(1, brute.GetValueOrDefault(Convert.ToHexString([(byte)b])));
            for (int b = 0; b < 256; b++)
            {
                double expected = Math.Log(Math.Max(1, brute.GetValueOrDefault(Convert.ToHexString([(byte)b])))) - Math.Log(total);
                if (Math.Abs(model.Unigram((byte)b) - expected) > 1e-12) return false;
            }
            int kept = 0;
            foreach (var (hex, count) in brute)
            {
                byte[] gram = Convert.FromHexString(hex);
                if (gram.Length < 2) continue;
                bool present = model.TryGet(NGramKey.Of(gram), out double lp);
                if (count < c.minCount) { if (present) return false; continue; }
                kept++;
                double expected = Math.Log(count) - Math.Log(brute[Convert.ToHexString(gram, 0, gram.Length - 1)]);
                if (!present || Math.Abs(lp - expected) > 1e-12) return false;
            }
            return model.Count == kept && stage.Distinct == brute.Count(kv => kv.Key.Length > 2);
        }, maxTest: 150);
    }

    [SkippableFact]
    public void NGramRuns_SpilledAndInMemory_MergeToExactSums()
    {
        var rng = new Random(7);
        var expected = new Dictionary<ulong, long>();
        var runs = new List<NGramRun>();
        string temp = Directory.CreateTempSubdirectory("bytepiece-runs").FullName;
        try
        {
            for (int r = 0; r < 5; r++)
            {
                var table = new NGramCountTable(1024);
                for (int k = 0; k < 3000; k++)
                {
                    byte[] gram = [(byte)rng.Next(4), (byte)rng.Next(4), (byte)rng.Next(4)];
                    ulong key = NGramKey.Of(gram.AsSpan(0, rng.Next(1, 4)));
                    long delta = rng.Next(1, 5);
                    table.Add(key, delta);
                    expected[key] = expected.GetValueOrDefault(key) + delta;
                }
                NGramRun run = table.DrainSorted();
                if (r % 2 == 0) run.Spill(temp);
                runs.Add(run);
            }
            var merged = new List<(ulong, long)>();
            NGramRun.Merge(runs, (key, count) => merged.Add((key, count)));
            Assert.Equal(expected.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)), merged);
            Assert.Empty(Directory.GetFiles(temp)); // spill files are deleted as they are read
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>A word's score as the pre-segmentation defines it: within-word context of at most order - 1 bytes.</summary>
    private static double WordScore(NGramModel model, ReadOnlySpan<byte> word, int order)
    {
        double score = model.Unigram(word[0]);
        for (int t = 1; t < word.Length; t++)
        {
            int from = Math.Max(0, t - (order - 1));
            if (!model.TryGet(NGramKey.Of(word[from..(t + 1)]), out double lp)) return double.NegativeInfinity;
            score += lp;
        }
        return score;
    }

    private static bool Continuation(byte b) => (b & 0xC0) == 0x80;

    [SkippableFact]
    public void PreSegmenter_FindsTheBestSegmentation_AndNeverDeadEnds()
    {
        var gen = from texts in Gen.ArrayOf(Text(25), 8)
                  from probe in Text(9)
                  from order in Gen.Choose(2, 4)
                  from minCount in Gen.Choose(1, 3)
                  from ensureUnicode in Gen.Elements(true, false)
                  select (texts, probe, order, minCount, ensureUnicode);
        int deadEnds = 0;
        TestVocab.Check(gen, c =>
        {
            var options = Options(c.order, c.minCount, 1) with { EnsureUnicode = c.ensureUnicode };
            NGramModel model = BytePieceTrainer.BuildNGramModel(TrainingCorpus.FromTexts(c.texts), options, null, NoReport, default).Model;
            var segmenter = new PreSegmenter(model, c.ensureUnicode);
            var starts = new List<int>();
            foreach (byte[] chunk in RegexChunks(c.probe, 8, 2, false))
            {
                long before = segmenter.BackedOff;
                segmenter.Segment(chunk, starts);
                if (starts.Count == 0 || starts[0] != 0 || starts.Zip(starts.Skip(1)).Any(p => p.First >= p.Second)) return false;
                if (c.ensureUnicode && starts.Skip(1).Any(s => Continuation(chunk[s]))) return false;
                double best = double.NegativeInfinity;
                foreach (var cut in AllCuts(chunk.Length))
                {
                    if (c.ensureUnicode && cut.Skip(1).Any(s => Continuation(chunk[s]))) continue;
                    best = Math.Max(best, Score(model, chunk, cut, c.order));
                }
                if (double.IsNegativeInfinity(best)) { deadEnds++; if (segmenter.BackedOff == before) return false; continue; }
                double got = Score(model, chunk, starts, c.order);
                if (Math.Abs(got - best) > 1e-9 * Math.Max(1, Math.Abs(best)) || segmenter.BackedOff != before) return false;
            }
            return true;
        }, maxTest: 300);
        Assert.True(deadEnds > 0, "the generator never produced upstream's dead end; the back-off went untested");
    }

    private static double Score(NGramModel model, byte[] chunk, IReadOnlyList<int> starts, int order)
    {
        double total = 0;
        for (int k = 0; k < starts.Count; k++)
            total += WordScore(model, chunk.AsSpan(starts[k], (k + 1 < starts.Count ? starts[k + 1] : chunk.Length) - starts[k]), order);
        return total;
    }

    private static IEnumerable<List<int>> AllCuts(int n)
    {
        for (int mask = 0; mask < 1 << Math.Max(0, n - 1); mask++)
        {
            var starts = new List<int> { 0 };
            for (int i = 1; i < n; i++) if ((mask >> (i - 1) & 1) != 0) starts.Add(i);
            yield return starts;
        }
    }

    [SkippableFact]
    public void PreSegmenter_UpstreamsRareCharacterDeadEnd_NowSegmentsTheRestNormally()
    {
        // "䶵" (E4 B6 B5) occurs once, so its inner n-grams are pruned at min_count 2. Upstream then has
        // -infinity in every state from its second byte on and counts the rest of the chunk as single bytes.
        var texts = Enumerable.Repeat("hello world, hello world\n", 50).Append("䶵hello world, hello world\n").ToArray();
        var options = Options(6, 2, 1) with { MaxChunkChars = 10000, MaxNewlinesPerChunk = 100 };
        NGramModel model = BytePieceTrainer.BuildNGramModel(TrainingCorpus.FromTexts(texts), options, null, NoReport, default).Model;
        var segmenter = new PreSegmenter(model, ensureUnicode: true);
        var plain = new List<int>();
        byte[] normal = Encoding.UTF8.GetBytes("hello world, hello world\n");
        segmenter.Segment(normal, plain);
        var rare = new List<int>();
        byte[] withRare = Encoding.UTF8.GetBytes("䶵hello world, hello world\n");
        segmenter.Segment(withRare, rare);
        Assert.True(segmenter.BackedOff > 0);
        // After the rare character the words are those of the same text without it (not single bytes).
        int shift = 3;
        var after = rare.Where(s => s >= shift).Select(s => s - shift).ToList();
        Assert.Equal(plain, after);
        Assert.True(after.Count < normal.Length / 2);
    }

    [SkippableFact]
    public void Pruner_EqualsReferenceImplementation()
    {
        var word = Gen.Choose(1, 7).SelectMany(n => Gen.ArrayOf(Gen.Elements((byte)'a', (byte)'b', (byte)'c', (byte)' ', (byte)0xE4, (byte)0xB8), n));
        var gen = from words in Gen.ArrayOf(word, 60)
                  from counts in Gen.ArrayOf(Gen.Choose(1, 6), 60)
                  from minCount in Gen.Choose(1, 3)
                  from maxLength in Gen.Choose(2, 7)
                  from targets in Gen.ArrayOf(Gen.Choose(259, 275), 2)
                  from threads in Gen.Choose(1, 3)
                  select (words, counts, minCount, maxLength, targets, threads);
        TestVocab.Check(gen, c =>
        {
            var counter = new ByteStringCounter();
            for (int k = 0; k < c.words.Length; k++) counter.Add(c.words[k], c.counts[k]);
            var options = new TrainerOptions { VocabSizes = c.targets, MinCount = c.minCount, MaxPieceLength = c.maxLength, Threads = c.threads };
            var got = new PiecePruner(options, null).Prune(counter);
            var expected = ReferencePruner.Prune(c.words.Zip(c.counts, (w, n) => (w, (long)n)), options);
            if (got.Count != expected.Count) return false;
            for (int m = 0; m < got.Count; m++)
            {
                var set = got[m].Pieces;
                var map = Enumerable.Range(0, set.Count).ToDictionary(p => Convert.ToHexString(set[p]), p => set.Counts[p]);
                if (got[m].Target != expected[m].Target || !map.OrderBy(kv => kv.Key).SequenceEqual(expected[m].Pieces.OrderBy(kv => kv.Key))) return false;
            }
            return true;
        }, maxTest: 150);
    }
}

/// <summary>Upstream's stage 4, written plainly over dictionaries, with the brute-force Viterbi.</summary>
internal static class ReferencePruner
{
    public static List<(int Target, Dictionary<string, long> Pieces)> Prune(IEnumerable<(byte[] Word, long Count)> words, TrainerOptions options)
    {
        var all = new Dictionary<string, long>();
        foreach (var (w, n) in words) all[Convert.ToHexString(w)] = all.GetValueOrDefault(Convert.ToHexString(w)) + n;
        for (int b = 0; b < 256; b++) all.TryAdd(Convert.ToHexString([(byte)b]), 1);
        var kept = all.Where(kv => kv.Key.Length == 2 || (kv.Key.Length / 2 <= options.MaxPieceLength && kv.Value >= options.MinCount)).ToDictionary();
        var dropped = all.Where(kv => !kept.ContainsKey(kv.Key)).ToList();
        kept = AddSplit(kept, dropped);
        kept = FixedPoint(kept);
        var results = new List<(int, Dictionary<string, long>)>();
        foreach (int target in options.VocabSizes.Distinct().OrderDescending())
        {
            if (kept.Count > target - 3)
            {
                var ranked = kept.OrderBy(kv => kv.Key.Length > 2).ThenByDescending(kv => kv.Value).ThenByDescending(kv => kv.Key.Length)
                    .ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
                var cut = ranked.Take(target - 3).ToDictionary();
                kept = FixedPoint(AddSplit(cut, ranked.Skip(target - 3).ToList()));
            }
            results.Add((target, kept));
        }
        return results;
    }

    private static Dictionary<string, long> AddSplit(Dictionary<string, long> kept, List<KeyValuePair<string, long>> rest)
    {
        UnigramModel model = Model(kept);
        var result = new Dictionary<string, long>(kept);
        foreach (var (hex, n) in rest)
            foreach (int id in BruteForce.Encode(model, Convert.FromHexString(hex)))
                result[Convert.ToHexString(model.GetPieceBytes(id))] += n;
        return result;
    }

    private static Dictionary<string, long> FixedPoint(Dictionary<string, long> kept)
    {
        while (true)
        {
            UnigramModel model = Model(kept);
            var next = new Dictionary<string, long>();
            foreach (var (hex, n) in kept)
                foreach (int id in BruteForce.Encode(model, Convert.FromHexString(hex)))
                    next[Convert.ToHexString(model.GetPieceBytes(id))] = next.GetValueOrDefault(Convert.ToHexString(model.GetPieceBytes(id))) + n;
            if (next.Count == kept.Count) return next;
            kept = next;
        }
    }

    private static UnigramModel Model(Dictionary<string, long> pieces)
        => UnigramModel.FromCounts(pieces.Select(kv => new KeyValuePair<byte[], long>(Convert.FromHexString(kv.Key), kv.Value)));
}
