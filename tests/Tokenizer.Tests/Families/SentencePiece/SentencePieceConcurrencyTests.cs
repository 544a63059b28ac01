using Xunit;

namespace BytePiece.Tests;

/// <summary>One SentencePiece model and one tokenizer.json shared by 8 threads encoding, sampling, decoding and running n-best at once give the sequential results.</summary>
public class SentencePieceConcurrencyTests
{
    [SkippableFact]
    public void EightThreads_SharingOneModel_GiveTheSequentialResults()
    {
        var spm = SentencePieceTokenizer.Load(SentencePiecePeer.ModelPath("nfkc_byte_fallback"));
        using var json = new MemoryStream();
        TokenizerJsonWriter.Write(spm.Model, json);
        var hf = HuggingFaceTokenizer.FromJson(json.ToArray());
        List<string> lines = SentencePiecePeer.TextLines(60);
        var random = new Random(20261203);
        var jobs = Enumerable.Range(0, 800).Select(i => (Text: lines[random.Next(lines.Count)], Seed: (ulong)random.Next(), Kind: i % 4)).ToList();
        string Run((string Text, ulong Seed, int Kind) job) => job.Kind switch
        {
            0 => string.Join(" ", spm.EncodeToIds(job.Text)) + "|" + spm.Decode(spm.EncodeToIds(job.Text)),
            1 => string.Join(" ", spm.EncodeToIds(job.Text, new SamplingOptions(0.3, job.Seed))),
            2 => string.Join(" ", hf.EncodeToIds(job.Text)) + "|" + hf.Decode(hf.EncodeToIds(job.Text)) + "|" + string.Join(" ", hf.EncodeToIds(job.Text, new SamplingOptions(0.3, job.Seed))),
            _ => string.Join(";", spm.NBest(job.Text.Length > 100 ? job.Text[..100] : job.Text, 3).Select(s => string.Join(" ", s.Ids))) + "|" + spm.Entropy(job.Text, 0.5).ToString("R"),
        };
        string[] sequential = jobs.Select(Run).ToArray();
        var parallel = new string[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = Run(jobs[i]));
        Assert.Equal(sequential, parallel);
    }
}
