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
            // The piece with spaces replaced and maybe the replacement prepended (taking the first code point's
            // origin), read in place: each word is copied out once, the whole text never.
            bool atStart = piece.Count > 0 && piece.Origins[0].Start == 0;
            bool prepended = piece.Count > 0 && Replaced(piece.Runes[0]) != replacement && (prepend == PrependScheme.Always || (prepend == PrependScheme.First && atStart));
            int shift = prepended ? 1 : 0, count = piece.Count + shift;
            if (!split)
            {
                words.Add(Word(piece, 0, count, shift));
                continue;
            }
            int start = 0;
            for (int k = 1; k <= count; k++)
            {
                if (k < count && Replaced(piece.Runes[k - shift]) != replacement) continue;
                words.Add(Word(piece, start, k, shift));
                start = k;
            }
        }
        return words;
    }

    private Rune Replaced(Rune rune) => rune.Value == ' ' ? replacement : rune;

    /// <summary>Code points [start, end) of the piece as transformed (position 0 is the prepended replacement when <paramref name="shift"/> is 1).</summary>
    private AlignedText Word(AlignedText piece, int start, int end, int shift)
    {
        var runes = new List<Rune>(end - start);
        var origins = new List<(int, int)>(end - start);
        for (int k = start; k < end; k++)
        {
            bool inserted = k < shift;
            runes.Add(inserted ? replacement : Replaced(piece.Runes[k - shift]));
            origins.Add(piece.Origins[inserted ? 0 : k - shift]);
        }
        return new AlignedText(runes, origins);
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
