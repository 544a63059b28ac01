using System.Text;

namespace BytePiece.Normalization;

/// <summary>A tokenizer.json <c>pre_tokenizer</c>: splits normalized text into the words the model encodes one by one.</summary>
internal abstract class PreTokenizerStep
{
    public abstract List<AlignedText> Split(List<AlignedText> pieces);
}

/// <summary>When Metaspace adds its replacement character before a piece.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

/// <summary>
/// <c>Metaspace</c>: spaces become the replacement (▁); it is prepended to a piece that does not start
/// with it (always, or only to the piece at the start of the input); then, with <c>split</c>, each
/// replacement starts a new word (HF's MergedWithNext).
/// </summary>
internal sealed class MetaspaceStep(Rune replacement, PrependScheme prepend, bool split) : PreTokenizerStep
{
    public override List<AlignedText> Split(List<AlignedText> pieces)
    {
        var words = new List<AlignedText>();
        foreach (AlignedText piece in pieces)
        {
            var runes = piece.Runes.Select(r => r.Value == ' ' ? replacement : r).ToList();
            var origins = new List<(int, int)>(piece.Origins);
            bool atStart = piece.Count > 0 && piece.Origins[0].Start == 0;
            if (runes.Count > 0 && runes[0] != replacement && (prepend == PrependScheme.Always || (prepend == PrependScheme.First && atStart)))
            {
                runes.Insert(0, replacement);
                origins.Insert(0, origins[0]);
            }
            var text = new AlignedText(runes, origins);
            if (!split)
            {
                words.Add(text);
                continue;
            }
            int start = 0;
            for (int k = 1; k <= text.Count; k++)
            {
                if (k < text.Count && text.Runes[k] != replacement) continue;
                words.Add(text.Slice(start, k));
                start = k;
            }
        }
        return words;
    }
}

/// <summary><c>WhitespaceSplit</c>: words are the runs between whitespace, which is dropped.</summary>
internal sealed class WhitespaceSplitStep : PreTokenizerStep
{
    public override List<AlignedText> Split(List<AlignedText> pieces)
    {
        var words = new List<AlignedText>();
        foreach (AlignedText piece in pieces)
        {
            int start = -1;
            for (int k = 0; k <= piece.Count; k++)
            {
                bool space = k == piece.Count || Rune.IsWhiteSpace(piece.Runes[k]);
                if (!space && start < 0) start = k;
                if (space && start >= 0)
                {
                    words.Add(piece.Slice(start, k));
                    start = -1;
                }
            }
        }
        return words;
    }
}

/// <summary><c>Sequence</c> of pre-tokenizers.</summary>
internal sealed class PreTokenizerSequence(IReadOnlyList<PreTokenizerStep> steps) : PreTokenizerStep
{
    public override List<AlignedText> Split(List<AlignedText> pieces)
    {
        foreach (PreTokenizerStep step in steps) pieces = step.Split(pieces);
        return pieces;
    }
}
