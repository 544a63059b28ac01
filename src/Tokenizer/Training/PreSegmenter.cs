namespace BytePiece.Training;

/// <summary>
/// Training stage 3: cuts a chunk into words with an <c>order</c>-state Viterbi over its bytes. State j
/// means "this byte is the (j+1)-th of its word" (the last state: "order-th or later"); its emission is
/// the n-gram model's log-probability of the byte given the earlier bytes of the same word (at most
/// order - 1 of them). Any state may go to state 0 (a new word), state j to j + 1, the last to itself;
/// ties go to the lowest state. With ensure_unicode, no word starts on a UTF-8 continuation byte.
/// </summary>
/// <remarks>
/// Upstream's dead end is removed: when a continuation byte's n-grams were all pruned (a rare character),
/// every state there is -infinity and upstream counts the rest of the chunk as single bytes. Here, only
/// at such a byte (where every state would be -infinity), the word-continuing states back off to the
/// longest context that was kept, down to the byte's unigram. Wherever upstream has a finite path, the
/// result is upstream's. One instance per thread.
/// </remarks>
internal sealed class PreSegmenter
{
    private readonly NGramModel _model;
    private readonly int _order;
    private readonly bool _ensureUnicode;
    private double[] _scores;
    private double[] _next;
    private readonly double[] _emission;
    private byte[] _route0 = new byte[256];
    private bool[] _routeLast = new bool[256];
    private byte[] _padded = new byte[256];

    public PreSegmenter(NGramModel model, bool ensureUnicode)
    {
        _model = model;
        _order = model.Order;
        _ensureUnicode = ensureUnicode;
        _scores = new double[_order];
        _next = new double[_order];
        _emission = new double[_order];
    }

    /// <summary>Bytes at which the backoff was needed (upstream's dead ends).</summary>
    public long BackedOff { get; private set; }

    /// <summary>Cuts <paramref name="chunk"/> into words and writes each word's start into <paramref name="starts"/> (cleared first; the first is 0).</summary>
    public void Segment(ReadOnlySpan<byte> chunk, List<int> starts)
    {
        starts.Clear();
        int n = chunk.Length;
        if (n == 0) return;
        EnsureCapacity(n);
        chunk.CopyTo(_padded);
        _padded.AsSpan(n, 8).Clear();

        int order = _order, last = order - 1;
        double[] scores = _scores, next = _next, emission = _emission;
        Array.Fill(scores, double.NegativeInfinity);
        scores[0] = _model.Unigram(chunk[0]); // the first byte starts a word, whatever it is
        ReadOnlySpan<byte> padded = _padded;
        for (int i = 1; i < n; i++)
        {
            byte b = padded[i];
            bool continuation = _ensureUnicode && (b & 0xC0) == 0x80;
            emission[0] = _model.Unigram(b);
            // Emissions for word-continuing states, until an n-gram is missing (every longer one is then missing too).
            int kept = 0;
            for (int j = 1; j < order && j <= i; j++)
            {
                if (!_model.TryGet(NGramKey.At(padded, i - j, j + 1), out double lp)) break;
                emission[j] = lp;
                kept = j;
            }
            for (int j = kept + 1; j < order; j++) emission[j] = double.NegativeInfinity;

            int best = 0;
            for (int s = 1; s < order; s++) if (scores[s] > scores[best]) best = s;
            _route0[i] = (byte)best;
            next[0] = continuation ? double.NegativeInfinity : scores[best] + emission[0];
            for (int j = 1; j < last; j++) next[j] = scores[j - 1] + emission[j];
            bool stay = scores[last] > scores[last - 1];
            _routeLast[i] = stay;
            next[last] = (stay ? scores[last] : scores[last - 1]) + emission[last];

            if (continuation && AllNegativeInfinity(next))
            {
                BackedOff++;
                for (int j = 1; j < order; j++)
                {
                    double backoff = emission[Math.Min(j, kept)];
                    next[j] = (j < last ? scores[j - 1] : stay ? scores[last] : scores[last - 1]) + backoff;
                }
            }
            (scores, next) = (next, scores);
        }

        int state = 0;
        for (int s = 1; s < order; s++) if (scores[s] > scores[state]) state = s;
        for (int i = n - 1; i >= 1; i--)
        {
            if (state == 0)
            {
                starts.Add(i);
                state = _route0[i];
            }
            else if (state == last)
            {
                state = _routeLast[i] ? last : last - 1;
            }
            else
            {
                state--;
            }
        }
        starts.Add(0);
        starts.Reverse();
        _scores = scores;
        _next = next;
    }

    private static bool AllNegativeInfinity(double[] values)
    {
        foreach (double v in values) if (!double.IsNegativeInfinity(v)) return false;
        return true;
    }

    private void EnsureCapacity(int n)
    {
        if (_route0.Length >= n + 8) return;
        int size = (int)Math.Min(Array.MaxLength, Math.Max(n + 8L, 2L * _route0.Length));
        _route0 = new byte[size];
        _routeLast = new bool[size];
        _padded = new byte[size];
    }
}
