using System.Diagnostics;
using System.Text;
using BytePiece.LmTools.Continuation;
using BytePiece.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// The continuation fix on SentencePiece models and on the tokenizer.json written from them, in their
/// normalized spaces: the invariants on random toy models (U+2581 pieces, byte fallback, whitespace
/// options; fixed seeds), and the defining property on toy and real models: for a text T and a split, the
/// canonical ids of T (the library's own encoding of all of T) stay reachable from the plans of T's prefix.
/// </summary>
public class SentencePieceContinuationTests(ITestOutputHelper output)
{
    private const string Space = "\u2581";
    private static readonly string[] Symbols = [Space, "a", "b", "c"];

    /// <summary>Random pieces over ▁abc with random scores; with byte fallback, 'c' may be missing (so it is spelled as a byte piece).</summary>
    private static SentencePieceTokenizer ToyTokenizer(Random random, bool byteFallback)
    {
        var pieces = new List<(byte[] Bytes, float Score, SentencePieceType Type)>
        {
            ("<unk>"u8.ToArray(), 0, SentencePieceType.Unknown),
            ("<s>"u8.ToArray(), 0, SentencePieceType.Control),
            ("</s>"u8.ToArray(), 0, SentencePieceType.Control),
        };
        if (byteFallback)
            for (int b = 0; b < 256; b++) pieces.Add((Encoding.ASCII.GetBytes($"<0x{b:X2}>"), 0, SentencePieceType.Byte));
        var seen = new HashSet<string>();
        foreach (string single in Symbols)
            if (!(byteFallback && single == "c" && random.Next(2) == 0) && seen.Add(single))
                pieces.Add((Encoding.UTF8.GetBytes(single), -random.NextSingle() * 8 - 1, SentencePieceType.Normal));
        int extra = random.Next(5, 40);
        for (int k = 0; k < extra; k++)
        {
            string piece = string.Concat(Enumerable.Range(0, random.Next(2, 6)).Select(_ => Symbols[random.Next(Symbols.Length)]));
            if (seen.Add(piece)) pieces.Add((Encoding.UTF8.GetBytes(piece), -random.NextSingle() * 8 - 1, SentencePieceType.Normal));
        }
        var spec = new SentencePieceSpec
        {
            ByteFallback = byteFallback,
            AddDummyPrefix = random.Next(4) != 0,
            RemoveExtraWhitespaces = random.Next(4) != 0,
            TreatWhitespaceAsSuffix = random.Next(5) == 0,
        };
        return new SentencePieceTokenizer(SentencePieceModel.Create(pieces, spec));
    }

    /// <summary>Text over "ab c" (and 'é', which no toy piece holds, when byte fallback spells it).</summary>
    private static string RandomText(Random random, int length, bool byteFallback)
    {
        string alphabet = byteFallback ? "ab c é" : "ab c ";
        return string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]));
    }

    private static byte[] Bytes(VocabularyView v, IEnumerable<int> ids) => ConstraintChecks.BytesOf(v, ids);

    /// <summary>
    /// A model under test: a SentencePiece tokenizer, or the tokenizer.json written from it (HuggingFace's
    /// pipeline: per-word lattices, its own whitespace handling), with what the checks need of each.
    /// </summary>
    private sealed record Subject(string Name, ContinuationFix Fix, Func<string, byte[]> NormalizedPrompt, Func<string, int[]> Encode, int UnknownId)
    {
        public static Subject Spm(SentencePieceTokenizer t) =>
            new("spm", new ContinuationFix(t), p => t.NormalizePrompt(Encoding.UTF8.GetBytes(p)), text => [.. t.EncodeToIds(text)], t.Model.UnknownId);

        public static Subject Json(SentencePieceTokenizer spm)
        {
            using var json = new MemoryStream();
            TokenizerJsonWriter.Write(spm.Model, json);
            var t = HuggingFaceTokenizer.FromJson(json.ToArray());
            return new("tokenizer.json", new ContinuationFix(t), p => t.SplitPrompt(p) is var (_, final, open) ? [.. final, .. open] : [],
                       text => [.. t.EncodeToIds(text)], spm.Model.UnknownId);
        }
    }

    [SkippableFact]
    public void ToyModels_PlanInvariants_AllowedSets_AndCompletion()
    {
        var random = new Random(20261211);
        int plans = 0;
        for (int round = 0; round < 150; round++)
        {
            bool byteFallback = round % 2 == 0;
            SentencePieceTokenizer tokenizer = ToyTokenizer(random, byteFallback);
            string prompt = RandomText(random, random.Next(1, 12), byteFallback);
            foreach (Subject subject in new[] { Subject.Spm(tokenizer), Subject.Json(tokenizer) })
            {
            var fix = subject.Fix;
            VocabularyView v = fix.Vocabulary;
            byte[] normalized = subject.NormalizedPrompt(prompt);
            // The prompt's normalization is the start of any longer text's (one that goes on with a letter).
            foreach (string next in new[] { "a", "b" })
            {
                int[] ids = subject.Encode(prompt + next);
                if (!ids.Contains(subject.UnknownId)) Assert.True(Bytes(v, ids).AsSpan().StartsWith(normalized), $"{subject.Name}: \"{prompt}\" + \"{next}\"");
            }
            foreach (RollbackMode mode in Enum.GetValues<RollbackMode>())
                foreach (ContinuationPlan plan in fix.PlanAll(prompt, new ContinuationOptions { Mode = mode, MaxRollbackTokens = random.Next(1, 5), AllowEmptyPrefix = random.Next(2) == 0 }))
                {
                    plans++;
                    Assert.Equal(normalized, (byte[])[.. Bytes(v, plan.PrefixIds), .. plan.ForcedBytes]);
                    Assert.True(plan.Cut == normalized.Length || (normalized[plan.Cut] & 0xC0) != 0x80, "a cut inside a character");
                    ConstraintChecks.AllowedSetsMaskAndCompletion(plan, v, normalized, random);
                    // While a constraint is active, control and unknown pieces are never allowed, byte pieces are
                    // (they are bytes); a no-op plan allows every id (a loop may stop at <eos> at once).
                    if (!plan.IsNoOp) Assert.DoesNotContain(plan.CreateConstraint(true).AllowedIds(),
                        id => id < tokenizer.VocabSize && tokenizer.Model.GetPieceType(id) is SentencePieceType.Control or SentencePieceType.Unknown);
                }
            }
        }
        output.WriteLine($"toy SentencePiece models and their tokenizer.json: 150 rounds, {plans} plans checked (prefix + forced == normalized prompt, allowed sets exhaustive, completion)");
    }

    [SkippableFact]
    public void CanonicalEncodingOfAnyText_IsReachable_FromThePlanOfAnyPrefix()
    {
        var random = new Random(20261212);
        int checks = 0, skipped = 0;
        for (int round = 0; round < 300; round++)
        {
            bool byteFallback = round % 2 == 0;
            var tokenizer = ToyTokenizer(random, byteFallback);
            string text = RandomText(random, random.Next(2, 24), byteFallback);
            int split = random.Next(1, text.Length + 1);
            Check(Subject.Spm(tokenizer), text, split, ref checks, ref skipped);
            Check(Subject.Json(tokenizer), text, split, ref checks, ref skipped);
        }
        int toy = checks;
        var real = new Dictionary<string, int> { ["spm"] = 0, ["tokenizer.json"] = 0 };
        foreach (var (model, lines) in RealModels())
            foreach (Subject subject in new[] { Subject.Spm(model), Subject.Json(model) })
                for (int k = 0; k < 100; k++)
                {
                    string line = lines[random.Next(lines.Length)];
                    int before = checks;
                    Check(subject, line, random.Next(1, line.Length + 1), ref checks, ref skipped);
                    real[subject.Name] += checks - before;
                }
        Assert.All(real.Values, count => Assert.True(count >= 250, $"too few real checks: {string.Join(", ", real)}"));
        output.WriteLine($"{toy} toy and {checks - toy} real ({real["spm"]} spm, {real["tokenizer.json"]} tokenizer.json) (text, split) pairs: the canonical encoding was reachable from every prefix's plan "
                         + $"({skipped} skipped: an <unk> in the canonical encoding, or the prefix's normalization is not the start of the text's)");
        Assert.True(checks - toy >= 600, $"only {checks - toy} real checks");
    }

    /// <summary>
    /// T's canonical ids (spm's encoding of all of T) in normalized bytes, cut at the end of the prefix's
    /// normalization s: k* is the start of the token covering byte s-1. Some exact plan of T[..split]
    /// must cut at k*, keep exactly T's tokens before k*, and allow T's token at k*.
    /// </summary>
    private static void Check(Subject subject, string text, int split, ref int checks, ref int skipped)
    {
        split = Math.Clamp(split, 1, text.Length);
        if (split < text.Length && char.IsLowSurrogate(text[split])) split++;
        var fix = subject.Fix;
        VocabularyView v = fix.Vocabulary;
        int[] canonical = subject.Encode(text);
        byte[] whole = Bytes(v, canonical);
        byte[] prefix = subject.NormalizedPrompt(text[..split]);
        if (canonical.Contains(subject.UnknownId) || !whole.AsSpan().StartsWith(prefix) || prefix.Length == 0) { skipped++; return; }
        int s = prefix.Length, position = 0, index = 0;
        while (position + v.GetBytes(canonical[index]).Length < s) position += v.GetBytes(canonical[index++]).Length;
        int tokenEnd = position + v.GetBytes(canonical[index]).Length;
        int kStar = tokenEnd == s ? s : position;
        var plans = fix.PlanAll(text[..split], new ContinuationOptions { Mode = RollbackMode.Exact, MaxRollbackTokens = 1000, AllowEmptyPrefix = true });
        ContinuationPlan plan = Assert.Single(plans, p => p.Cut == kStar);
        Assert.Equal(canonical.Take(kStar == s ? index + 1 : index), plan.PrefixIds);
        if (kStar < s) Assert.True(plan.CreateConstraint().IsAllowed(canonical[index]), "the canonical token at the cut is not allowed");
        checks++;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SentencePieceTokenizer, ContinuationFix> s_fixes = new();

    private static ContinuationFix Fix(SentencePieceTokenizer tokenizer) => s_fixes.GetValue(tokenizer, t => new ContinuationFix(t));

    [SkippableFact]
    public void TokenizerJson_WordPrefixAndTrailingSpace_HealInTheLastWord()
    {
        Subject json = Subject.Json(s_english.Value);
        ContinuationFix fix = json.Fix;
        ContinuationPlan word = fix.Plan("Hello wor");
        Assert.Equal(Space + "wor", Encoding.UTF8.GetString(word.ForcedBytes));
        var allowed = word.CreateConstraint().AllowedIds().Select(id => Encoding.UTF8.GetString(fix.Vocabulary.GetBytes(id))).ToList();
        Assert.Contains(Space + "world", allowed);
        int[] whole = json.Encode("Hello world");
        Assert.Equal(whole.Take(word.PrefixIds.Count), word.PrefixIds);
        Assert.True(word.CreateConstraint().IsAllowed(whole[word.PrefixIds.Count]));
        // An added token (</s> among them) like <eos>: refused until "▁wor" is re-typed, then allowed, emitting nothing (issue 24, section 2).
        VocabularyView v = fix.Vocabulary;
        int special = Enumerable.Range(0, v.VocabSize).First(v.IsSpecial);
        int world = Enumerable.Range(0, v.VocabSize).First(id => Encoding.UTF8.GetString(v.GetBytes(id)) == Space + "world");
        ContinuationConstraint c = word.CreateConstraint();
        Assert.Contains("special", Assert.Throws<ArgumentException>(() => c.Advance(special)).Message);
        Assert.Equal("ld"u8.ToArray(), c.Advance(world).ToArray());
        Assert.True(c.IsAllowed(special));
        Assert.Empty(c.Advance(special).ToArray());
        // HF's Strip(right) and Metaspace drop a trailing space only at the end of a text: here it opens a new word.
        ContinuationPlan space = fix.Plan("I saw a ");
        Assert.Equal(Space, Encoding.UTF8.GetString(space.ForcedBytes));
        Assert.Equal(json.Encode("I saw a"), space.PrefixIds);
        Assert.Throws<InvalidOperationException>(() => fix.Plan("Hello", new ContinuationOptions { AddBos = true }));
        Assert.Throws<ArgumentException>(() => fix.Plan([0x61, 0xFF]));
    }

    private static string SpmModelPath(string name) => SharedFolder.SentencePieceFilePath(name);

    private static string[] Lines(string file, int count) =>
        [.. File.ReadLines(SpmModelPath(file)).Where(l => l.Trim().Length > 5).Take(count)];

    private static readonly Lazy<SentencePieceTokenizer> s_english = new(() => SentencePieceTokenizer.Load(SpmModelPath("test_model.model")));

    /// <summary>Google's two test models, and a byte-fallback model spm_train makes from botchan.txt (its &lt;0xNN&gt; pieces spell the Japanese text).</summary>
    private static IEnumerable<(SentencePieceTokenizer Model, string[] Lines)> RealModels()
    {
        string[] english = Lines("botchan.txt", 2000), japanese = Lines("wagahaiwa_nekodearu.txt", 2000);
        yield return (s_english.Value, english);
        yield return (SentencePieceTokenizer.Load(SpmModelPath("test_ja_model.model")), japanese);
        SentencePieceTokenizer byteFallback = s_byteFallback.Value;
        yield return (byteFallback, english);
        yield return (byteFallback, japanese);
    }

    private static readonly Lazy<SentencePieceTokenizer> s_byteFallback = new(() =>
    {
        Prerequisites.Require(Prerequisite.SentencePieceTools);
        string dir = Directory.CreateTempSubdirectory("spm-bf-").FullName;
        try
        {
            var psi = new ProcessStartInfo("spm_train") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { "--input=" + SpmModelPath("botchan.txt"), "--model_prefix=" + Path.Combine(dir, "bf"), "--vocab_size=1500",
                                         "--model_type=unigram", "--byte_fallback=true", "--character_coverage=0.9995", "--num_threads=2" })
                psi.ArgumentList.Add(a);
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start spm_train (Debian package sentencepiece)");
            _ = process.StandardOutput.ReadToEndAsync();
            string log = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException("spm_train failed: " + log);
            return SentencePieceTokenizer.Load(Path.Combine(dir, "bf.model"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    });

    [SkippableFact]
    public void RealModel_WordPrefixAndTrailingSpace_HealInTheNormalizedSpace()
    {
        var tokenizer = s_english.Value;
        var fix = Fix(tokenizer);
        VocabularyView v = fix.Vocabulary;

        ContinuationPlan word = fix.Plan("Hello wor");
        Assert.Equal(Space + "wor", Encoding.UTF8.GetString(word.ForcedBytes));
        var allowed = word.CreateConstraint().AllowedIds().Select(tokenizer.Model.IdToPiece).ToList();
        Assert.Contains(Space + "world", allowed);
        Assert.All(allowed, p => Assert.StartsWith(Space + "wor", p));
        // The text's own encoding continues from this plan.
        int[] whole = [.. tokenizer.EncodeToIds("Hello world")];
        Assert.Equal(whole.Take(word.PrefixIds.Count), word.PrefixIds);
        Assert.True(word.CreateConstraint().IsAllowed(whole[word.PrefixIds.Count]));
        // spm's </s> like <eos>: refused until "▁wor" is re-typed, then allowed, emitting nothing (issue 24, section 2).
        ContinuationConstraint c = word.CreateConstraint();
        Assert.Contains("special", Assert.Throws<ArgumentException>(() => c.Advance(tokenizer.Model.EosId)).Message);
        Assert.Equal("ld"u8.ToArray(), c.Advance(tokenizer.Model.PieceToId(Space + "world")).ToArray());
        Assert.True(c.IsAllowed(tokenizer.Model.EosId));
        Assert.Empty(c.Advance(tokenizer.Model.EosId).ToArray());

        // A trailing space is part of the prompt (spm drops it only at the end of a sentence): the next token starts with ▁.
        ContinuationPlan space = fix.Plan("I saw a ");
        Assert.Equal(Space, Encoding.UTF8.GetString(space.ForcedBytes));
        Assert.Equal(tokenizer.EncodeToIds("I saw a"), space.PrefixIds);
        Assert.All(space.CreateConstraint().AllowedIds(), id => Assert.StartsWith(Space, tokenizer.Model.IdToPiece(id)));

        ContinuationPlan bos = fix.Plan("Hello wor", new ContinuationOptions { AddBos = true });
        Assert.Equal(tokenizer.Model.BosId, bos.PrefixIds[0]);
        Assert.Throws<ArgumentException>(() => fix.Plan("ab\uD800"));
        Assert.Throws<ArgumentException>(() => bos.CreateConstraint().Advance(tokenizer.Model.EosId));
        output.WriteLine($"\"Hello wor\": keep [{string.Join(' ', word.PrefixIds.Select(tokenizer.Model.IdToPiece))}], re-type \"{Encoding.UTF8.GetString(word.ForcedBytes)}\": "
                         + string.Join(", ", allowed));
    }

    [SkippableFact]
    public void ByteFallbackModel_BytePiecesAreBytes_AndHealAcrossThem()
    {
        var tokenizer = s_byteFallback.Value;
        var fix = Fix(tokenizer);
        // A character the model spells with byte pieces: the plan's prefix holds them, their bytes are the character's.
        string rare = Lines("wagahaiwa_nekodearu.txt", 200).SelectMany(l => l).Select(c => c.ToString())
            .First(c => tokenizer.EncodeToIds(c).Any(id => tokenizer.Model.GetPieceType(id) == SentencePieceType.Byte));
        string prompt = rare + " the";
        ContinuationPlan plan = fix.Plan(prompt);
        Assert.Contains(plan.PrefixIds, id => tokenizer.Model.GetPieceType(id) == SentencePieceType.Byte);
        Assert.Equal(tokenizer.NormalizePrompt(Encoding.UTF8.GetBytes(prompt)), (byte[])[.. Bytes(fix.Vocabulary, plan.PrefixIds), .. plan.ForcedBytes]);
        Assert.False(plan.IsNoOp);
        Assert.Contains(plan.CreateConstraint().AllowedIds(), id => tokenizer.Model.IdToPiece(id) is var p && p.StartsWith(Space + "the") && p.Length > 4);
    }
}
