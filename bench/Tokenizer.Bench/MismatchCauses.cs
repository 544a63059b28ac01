using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace BytePiece.Bench;

/// <summary>
/// Puts a line where ML.Tokenizers' ids differ from spm_encode's down to the known differences of 3.0.0: each
/// is undone on ML's answer (alone, then in pairs, then all three) and the first set that makes it equal to
/// spm's names the cause; failing that, an equal-score tie (same pieces' text, same total score, another
/// segmentation) after the same undoings; else "other".
/// </summary>
internal sealed class MismatchCauses(SentencePieceTokenizer ours, Ml.SentencePieceTokenizer ml)
{
    private const string Control = "control chars kept", Unknown = "unknown run not merged", Bytes = "byte id +255", Tie = "equal-score tie";

    private static readonly string[][] Undoings =
    [
        [], [Control], [Unknown], [Bytes], [Control, Unknown], [Control, Bytes], [Unknown, Bytes], [Control, Unknown, Bytes],
    ];

    private readonly SentencePieceModel _model = ours.Model;
    private readonly Dictionary<int, bool> _deleted = [];

    public string Classify(string line, int[] mlIds, int[] spm)
    {
        string? stripped = null;
        var candidates = new List<(string[] Undone, int[] Ids)>();
        foreach (string[] undoing in Undoings)
        {
            string text = line;
            if (undoing.Contains(Control))
            {
                stripped ??= StripDeleted(line);
                if (stripped == line) continue; // nothing deleted: the undoing does not apply
                text = stripped;
            }
            int[] ids = [.. ml.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)];
            if (undoing.Contains(Unknown)) ids = MergeUnknownRuns(ids);
            if (undoing.Contains(Bytes) && !TryLowerByteIds(ids, spm, out ids)) continue;
            if (ids.AsSpan().SequenceEqual(spm)) return string.Join(" + ", undoing);
            candidates.Add((undoing, ids));
        }
        foreach (var (undone, ids) in candidates)
            if (IsTie(ids, spm)) return string.Join(" + ", undone.Append(Tie));
        return "other";
    }

    /// <summary>spm merges a run of unknown characters into one unknown piece.</summary>
    private int[] MergeUnknownRuns(int[] ids)
    {
        var merged = new List<int>(ids.Length);
        foreach (int id in ids)
            if (id != _model.UnknownId || merged.Count == 0 || merged[^1] != _model.UnknownId) merged.Add(id);
        return [.. merged];
    }

    /// <summary>
    /// ML's ids, lowered by 255 where spm's id at the same place is a byte piece 255 lower (ML's token text
    /// is the piece at its wrong id, so the places are found against spm's answer); false where none is.
    /// </summary>
    private bool TryLowerByteIds(int[] ids, int[] spm, out int[] lowered)
    {
        lowered = (int[])ids.Clone();
        if (ids.Length != spm.Length) return false;
        bool any = false;
        for (int k = 0; k < ids.Length; k++)
        {
            if (ids[k] - 255 != spm[k] || _model.GetPieceType(spm[k]) != SentencePieceType.Byte) continue;
            lowered[k] = spm[k];
            any = true;
        }
        return any;
    }

    /// <summary>The line without the characters spm's normalizer deletes (a non-space that normalizes to nothing on its own).</summary>
    private string StripDeleted(string line)
    {
        var sb = new StringBuilder(line.Length);
        foreach (Rune rune in line.EnumerateRunes())
        {
            if (!_deleted.TryGetValue(rune.Value, out bool deleted))
                _deleted[rune.Value] = deleted = !Rune.IsWhiteSpace(rune) && ours.Normalize(rune.ToString()).Length == 0;
            if (!deleted) sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    private bool IsTie(int[] ids, int[] spm)
    {
        if (ids.Any(id => id < 0 || id >= _model.VocabSize)) return false;
        if (string.Concat(ids.Select(_model.IdToPiece)) != string.Concat(spm.Select(_model.IdToPiece))) return false;
        double a = ids.Sum(id => (double)_model.GetScore(id)), b = spm.Sum(id => (double)_model.GetScore(id));
        return Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(b));
    }
}
