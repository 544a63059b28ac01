namespace BytePiece.LmTools.Continuation;

/// <summary>How far a plan rolls the prompt back.</summary>
public enum RollbackMode
{
    /// <summary>Su's method: remove the last token, when some piece strictly extends its bytes.</summary>
    OneToken,

    /// <summary>The earliest cut (within the longest piece's length and <see cref="ContinuationOptions.MaxRollbackTokens"/>) whose removed bytes some piece strictly extends.</summary>
    Maximal,

    /// <summary>Every such cut, and the cut at the end (no rollback): <see cref="ContinuationFix.PlanAll(string, ContinuationOptions?)"/>.</summary>
    Exact,
}

/// <summary>Options of a plan.</summary>
public sealed record ContinuationOptions
{
    /// <summary>How far to roll back (default <see cref="RollbackMode.Maximal"/>).</summary>
    public RollbackMode Mode { get; init; } = RollbackMode.Maximal;

    /// <summary>At most this many tokens of the prompt's own encoding are touched by a rollback (default 4).</summary>
    public int MaxRollbackTokens { get; init; } = 4;

    /// <summary>Allow a plan that keeps no token at all (default false: such cuts are skipped).</summary>
    public bool AllowEmptyPrefix { get; init; }

    /// <summary>Start the prefix with <c>&lt;bos&gt;</c> (never rolled back).</summary>
    public bool AddBos { get; init; }
}

/// <summary>
/// The continuation fix ("token healing"), exact for Viterbi: a prompt that ends inside what would be a
/// longer token is cut at an offset k, the model is fed the best path to k (taken from the prompt's own
/// Viterbi lattice: by optimal substructure it is what the full text's encoding holds before a token
/// boundary at k), and generation is constrained to re-type the removed bytes, so the tokenization the
/// whole text would have stays reachable. For BytePiece models it works on the prompt's bytes; for
/// SentencePiece models on its normalized text (U+2581 spaces, <c>&lt;0xNN&gt;</c> pieces as their bytes).
/// Immutable and thread-safe.
/// </summary>
public sealed class ContinuationFix
{
    private readonly UnigramTokenizer _tokenizer;
    private readonly int _bosId;

    /// <summary>
    /// The fix for a model of any family, in the space it reads text in (<see cref="PromptLattice.Prompt"/>):
    /// BytePiece prompts are bytes (text is NFC-normalized as the model says), every byte offset of the last chunk a
    /// node. SentencePiece plans work in spm's normalized space: the prompt is normalized as the beginning of a
    /// longer text (a trailing space stays, as U+2581), and <see cref="ContinuationPlan.ForcedBytes"/>,
    /// <see cref="ContinuationPlan.Cut"/> and <see cref="ContinuationConstraint.Advance"/> are normalized bytes.
    /// tokenizer.json plans work in the pipeline's normalized space, and only the prompt's last word is open
    /// (added tokens and earlier words are final).
    /// </summary>
    public ContinuationFix(UnigramTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        // The id a prefix starts with when asked: BytePiece's <bos>, the model's own for spm; tokenizer.json has none
        // (its post-processor adds specials).
        _bosId = tokenizer switch
        {
            BytePieceTokenizer => SpecialTokens.BosId,
            SentencePieceTokenizer spm => spm.Model.BosId,
            _ => -1,
        };
        Vocabulary = new VocabularyView(tokenizer);
    }

    /// <summary>The vocabulary the constraints work on.</summary>
    public VocabularyView Vocabulary { get; }

    /// <summary>The plan for a text prompt (normalized as the model says).</summary>
    /// <exception cref="ArgumentException">The prompt holds a lone surrogate (its bytes would be U+FFFD, not the user's text).</exception>
    public ContinuationPlan Plan(string prompt, ContinuationOptions? options = null) => Candidates(Prepare(prompt), options ?? new())[0];

    /// <summary>
    /// The plan for a prompt given as bytes: taken as they are by a BytePiece model, read as UTF-8 text
    /// and normalized by a SentencePiece model (malformed bytes become U+FFFD, as spm reads them) and by a
    /// tokenizer.json model (malformed bytes are refused with an <see cref="ArgumentException"/>).
    /// </summary>
    public ContinuationPlan Plan(ReadOnlySpan<byte> prompt, ContinuationOptions? options = null)
        // The earliest cut; the no-op plan comes last, so it is the answer only when nothing can be healed.
        => Candidates(_tokenizer.PreparePrompt(prompt), options ?? new())[0];

    /// <summary>Every candidate plan (earliest cut first, the no-op plan last), for the exact mode.</summary>
    /// <exception cref="ArgumentException">The prompt holds a lone surrogate.</exception>
    public IReadOnlyList<ContinuationPlan> PlanAll(string prompt, ContinuationOptions? options = null) => Candidates(Prepare(prompt), options ?? new());

    /// <summary>Every candidate plan of a prompt given as bytes (read as <see cref="Plan(ReadOnlySpan{byte}, ContinuationOptions?)"/> reads them).</summary>
    public IReadOnlyList<ContinuationPlan> PlanAll(ReadOnlySpan<byte> prompt, ContinuationOptions? options = null) => Candidates(_tokenizer.PreparePrompt(prompt), options ?? new());

    private PromptLattice Prepare(string prompt) => _tokenizer.PreparePrompt(prompt);

    /// <summary>
    /// The cuts, per the mode: OneToken the start of the last token (if its bytes extend), Maximal and
    /// Exact every node k in the open part within the longest piece's length and the token budget whose
    /// removed bytes some piece strictly extends; then the no-op plan. Cuts that would keep nothing are
    /// skipped unless allowed.
    /// </summary>
    private List<ContinuationPlan> Candidates(PromptLattice lattice, ContinuationOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRollbackTokens);
        if (options.AddBos && _bosId < 0) throw new InvalidOperationException("the model has no beginning-of-sentence piece");
        byte[] prompt = lattice.Prompt.ToArray();
        int n = prompt.Length;
        IReadOnlyList<int> lastPath = lattice.TokenStarts(); // starts of the tokens of the best path to n
        var cuts = new List<int>();
        if (options.Mode == RollbackMode.OneToken)
        {
            if (lastPath.Count > 0 && lastPath[^1] >= lattice.OpenStart && lattice.IsNode(lastPath[^1])
                && Vocabulary.HasStrictExtension(prompt.AsSpan(lastPath[^1]))) cuts.Add(lastPath[^1]);
        }
        else
        {
            // The budget: the cut may not reach before the start of the MaxRollbackTokens-th last token.
            int budgetStart = lastPath.Count == 0 ? n : lastPath[Math.Max(0, lastPath.Count - Math.Max(1, options.MaxRollbackTokens))];
            if (options.MaxRollbackTokens == 0) budgetStart = n;
            int from = Math.Max(Math.Max(lattice.OpenStart, n - Vocabulary.MaxPieceLength + 1), budgetStart);
            for (int k = Math.Max(0, from); k < n; k++)
                if (lattice.IsNode(k) && Vocabulary.HasStrictExtension(prompt.AsSpan(k))) cuts.Add(k);
        }
        List<int>[] paths = [.. cuts.Append(n).Select(cut => (List<int>)[.. lattice.IdsBefore(cut)])];
        var plans = new List<ContinuationPlan>();
        for (int i = 0; i < cuts.Count; i++)
        {
            if (paths[i].Count == 0 && !options.AllowEmptyPrefix && !options.AddBos) continue;
            plans.Add(new ContinuationPlan(WithBos(paths[i], options), prompt[cuts[i]..], cuts[i], Vocabulary));
        }
        plans.Add(new ContinuationPlan(WithBos(paths[^1], options), [], n, Vocabulary));
        return plans;
    }

    private List<int> WithBos(List<int> ids, ContinuationOptions options)
    {
        if (options.AddBos) ids.Insert(0, _bosId);
        return ids;
    }
}
