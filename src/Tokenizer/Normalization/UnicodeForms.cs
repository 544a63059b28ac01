using System.Globalization;
using System.Text;

namespace BytePiece.Normalization;

/// <summary>
/// NFC/NFD/NFKC/NFKD as <see cref="string.Normalize(NormalizationForm)"/> computes them, in linear time on
/// long runs of combining marks: ICU orders marks by insertion, which is quadratic when their classes
/// alternate (a cluster of 160,000 alternating U+0301 U+0316 took 30 s). Long texts are decomposed code
/// point by code point and each run of marks is ordered by a stable sort on combining class (canonical
/// decomposition by definition); ICU then only composes (C forms) text that is already in order.
/// </summary>
internal static class UnicodeForms
{
    /// <summary>Text without more marks in a row than this goes straight to ICU: its insertion costs at most the square of this per run.</summary>
    private const int LongMarkRun = 32;

    public static string Normalize(string text, NormalizationForm form)
        => HasLongMarkRun(text) ? NormalizeInOrder(text, form) : text.Normalize(form);

    /// <summary>Whether <paramref name="text"/> is in <paramref name="form"/>; ICU's own check is quadratic on the same runs.</summary>
    public static bool IsNormalized(ReadOnlySpan<char> text, NormalizationForm form)
        => HasLongMarkRun(text) ? NormalizeInOrder(new string(text), form).AsSpan().SequenceEqual(text) : text.IsNormalized(form);

    /// <summary>
    /// Whether more than <see cref="LongMarkRun"/> combining marks (by general category) follow one another
    /// and not all of them are the same mark: ICU inserts a mark after those of its class, so a run of one
    /// mark costs it linear time and only mixed runs can cost more.
    /// </summary>
    internal static bool HasLongMarkRun(ReadOnlySpan<char> text)
    {
        if (text.Length <= LongMarkRun) return false;
        int run = 0, first = 0;
        bool mixed = false;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune r, out int used);
            i += used;
            if (Rune.GetUnicodeCategory(r) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark))
            {
                run = 0;
                continue;
            }
            if (run++ == 0)
            {
                first = r.Value;
                mixed = false;
            }
            mixed |= r.Value != first;
            if (run > LongMarkRun && mixed) return true;
        }
        return false;
    }

    /// <summary>The decompose-order-compose route (<see cref="Normalize"/> takes it for long texts; tests take it for short ones).</summary>
    internal static string NormalizeInOrder(string text, NormalizationForm form)
    {
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        var decompositions = new Dictionary<int, Rune[]>();
        var runes = new List<Rune>(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            // A code point decomposes on its own, whatever surrounds it; ASCII decomposes to itself.
            if (r.Value < 0x80)
            {
                runes.Add(r);
                continue;
            }
            if (!decompositions.TryGetValue(r.Value, out Rune[]? parts))
                decompositions[r.Value] = parts = [.. r.ToString().Normalize(compatibility ? NormalizationForm.FormKD : NormalizationForm.FormD).EnumerateRunes()];
            runes.AddRange(parts);
        }
        Dictionary<int, int> rank = CombiningRanks(runes);
        if (rank.Count > 0) OrderMarks(runes, rank);
        var sb = new StringBuilder(text.Length);
        Span<char> chars = stackalloc char[2];
        foreach (Rune r in runes) sb.Append(chars[..r.EncodeToUtf16(chars)]);
        string decomposed = sb.ToString();
        return form is NormalizationForm.FormC or NormalizationForm.FormKC ? decomposed.Normalize(NormalizationForm.FormC) : decomposed;
    }

    /// <summary>
    /// For each distinct mark (non-zero combining class) among decomposed code points, its rank in combining
    /// class order (equal classes, equal ranks). .NET does not expose the class; ICU's own reordering of
    /// two or three code points tells whether a code point is a mark and how two marks compare.
    /// </summary>
    private static Dictionary<int, int> CombiningRanks(List<Rune> runes)
    {
        var marks = new List<Rune>();
        var seen = new HashSet<int>();
        foreach (Rune r in runes)
            if (r.Value >= 0x300 && seen.Add(r.Value) && IsMark(r)) marks.Add(r);
        // Swaps(x, y): canonical order puts y before x, i.e. class(y) < class(x).
        static bool Swaps(Rune x, Rune y) => (x.ToString() + y.ToString()).Normalize(NormalizationForm.FormD) != x.ToString() + y.ToString();
        marks.Sort((x, y) => Swaps(y, x) ? -1 : Swaps(x, y) ? 1 : 0);
        var rank = new Dictionary<int, int>(marks.Count);
        for (int i = 0; i < marks.Count; i++)
            rank[marks[i].Value] = i == 0 ? 0 : rank[marks[i - 1].Value] + (Swaps(marks[i], marks[i - 1]) ? 1 : 0);
        return rank;
    }

    /// <summary>
    /// Whether a decomposed code point has a non-zero combining class: between U+0301 (230) and U+0316
    /// (220) a mark joins their run, which canonical order must then change; a starter splits it.
    /// </summary>
    private static bool IsMark(Rune r)
    {
        string probe = "\u0301" + r.ToString() + "\u0316";
        return probe.Normalize(NormalizationForm.FormD) != probe;
    }

    /// <summary>Orders each run of marks by rank, keeping the text order of equal ranks (a stable sort: n log n, never quadratic).</summary>
    private static void OrderMarks(List<Rune> runes, Dictionary<int, int> rank)
    {
        var keys = new List<long>();
        var run = new List<Rune>();
        for (int i = 0; i < runes.Count;)
        {
            if (!rank.ContainsKey(runes[i].Value))
            {
                i++;
                continue;
            }
            int start = i;
            keys.Clear();
            run.Clear();
            // (rank, position in the run): sorting these pairs is stable.
            for (; i < runes.Count && rank.TryGetValue(runes[i].Value, out int r); i++)
            {
                keys.Add(((long)r << 32) | (uint)run.Count);
                run.Add(runes[i]);
            }
            // Runs already in order (a mark repeated, or marks as canonical text has them) need no sort.
            bool ordered = true;
            for (int j = 1; j < keys.Count && ordered; j++) ordered = keys[j - 1] < keys[j];
            if (ordered) continue;
            keys.Sort();
            for (int j = 0; j < keys.Count; j++) runes[start + j] = run[(int)(keys[j] & uint.MaxValue)];
        }
    }
}
