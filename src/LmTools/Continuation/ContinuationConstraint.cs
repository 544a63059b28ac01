using System.Numerics;

namespace BytePiece.LmTools.Continuation;

/// <summary>
/// The constraint a decoding loop applies after a rollback: the first generated token(s) must re-type
/// the removed bytes. Single-step: the next token must start with all the remaining bytes. Multi-step:
/// it may also be a non-empty proper prefix of them (the rest is typed by the next tokens). While it is
/// active, specials (<c>&lt;eos&gt;</c> among them: ending there would drop the removed prompt bytes) and
/// zero-length tokens are refused. Once complete (at once for a no-op plan) every id is allowed and
/// advances, a special emitting no bytes, so a loop that stops at <c>&lt;eos&gt;</c> just works. Call
/// <see cref="ApplyMask{T}"/> on the logits before temperature, top-k, top-p and min-p, so that sampling is
/// <c>p(t) / sum over allowed of p</c>. Not thread-safe (one per generation).
/// </summary>
public sealed class ContinuationConstraint
{
    private readonly VocabularyView _vocabulary;
    private readonly bool _multiStep;
    private byte[] _remaining;

    internal ContinuationConstraint(VocabularyView vocabulary, byte[] forcedBytes, bool multiStep)
    {
        _vocabulary = vocabulary;
        _remaining = forcedBytes;
        _multiStep = multiStep;
    }

    /// <summary>The removed prompt bytes not yet re-typed.</summary>
    public ReadOnlySpan<byte> Remaining => _remaining;

    /// <summary>Whether the removed bytes are all re-typed (then the constraint allows every id, specials included).</summary>
    public bool IsComplete => _remaining.Length == 0;

    /// <summary>The ids the next token may be, in byte order of the extensions then the shorter prefixes (every id once complete).</summary>
    public IReadOnlyList<int> AllowedIds()
    {
        if (IsComplete) return [.. Enumerable.Range(0, _vocabulary.VocabSize)];
        var allowed = new List<int>(_vocabulary.IdsStartingWith(_remaining).ToArray());
        if (_multiStep)
            foreach (int id in _vocabulary.IdsThatArePrefixesOf(_remaining))
                if (_vocabulary.GetBytes(id).Length < _remaining.Length) allowed.Add(id);
        return allowed;
    }

    /// <summary>Whether <paramref name="id"/> is allowed next: once complete, every id of the vocabulary; before, see <see cref="Advance"/>.</summary>
    public bool IsAllowed(int id)
    {
        if ((uint)id >= (uint)_vocabulary.VocabSize) return false;
        if (IsComplete) return true;
        ReadOnlySpan<byte> bytes = _vocabulary.GetBytes(id);
        if (_vocabulary.IsSpecial(id) || bytes.IsEmpty) return false;
        return bytes.StartsWith(_remaining) || (_multiStep && _remaining.AsSpan().StartsWith(bytes));
    }

    /// <summary>Sets every logit outside the allowed set to -infinity (nothing, once complete).</summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is not one per id.</exception>
    public void ApplyMask<T>(Span<T> logits) where T : IFloatingPointIeee754<T>
    {
        if (logits.Length != _vocabulary.VocabSize)
            throw new ArgumentException($"{logits.Length} logits for a vocabulary of {_vocabulary.VocabSize} ids", nameof(logits));
        if (IsComplete) return;
        // Keep the allowed values aside, mask everything, put them back: no per-id set to allocate.
        IReadOnlyList<int> allowed = AllowedIds();
        T[] kept = System.Buffers.ArrayPool<T>.Shared.Rent(Math.Max(1, allowed.Count));
        for (int k = 0; k < allowed.Count; k++) kept[k] = logits[allowed[k]];
        logits.Fill(T.NegativeInfinity);
        for (int k = 0; k < allowed.Count; k++) logits[allowed[k]] = kept[k];
        System.Buffers.ArrayPool<T>.Shared.Return(kept);
    }

    /// <summary>
    /// Takes the generated token: returns the bytes it adds beyond the prompt (empty while it only re-types
    /// removed bytes). Once complete, every token's bytes are returned whole, and a special
    /// (<c>&lt;eos&gt;</c>, <c>&lt;pad&gt;</c>, ...) returns none.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not allowed now: out of range; or, before
    /// completion, a special such as <c>&lt;eos&gt;</c> (ending there would lose the removed prompt bytes; the
    /// mask never lets a sampler pick it), a zero-length token, or a token that does not continue the removed bytes.</exception>
    public ReadOnlySpan<byte> Advance(int id)
    {
        if ((uint)id >= (uint)_vocabulary.VocabSize)
            throw new ArgumentException($"token {id} is not allowed: ids are in [0, {_vocabulary.VocabSize})", nameof(id));
        if (!IsAllowed(id))
            throw new ArgumentException(_vocabulary.IsSpecial(id)
                ? $"token {id} is not allowed: it is a special token (such as <eos>), refused until the {_remaining.Length} removed bytes of the prompt are re-typed"
                : $"token {id} is not allowed: it does not continue the {_remaining.Length} removed bytes", nameof(id));
        ReadOnlySpan<byte> bytes = _vocabulary.GetBytes(id);
        if (IsComplete) return bytes;
        if (bytes.Length >= _remaining.Length)
        {
            ReadOnlySpan<byte> beyond = bytes[_remaining.Length..];
            _remaining = [];
            return beyond;
        }
        _remaining = _remaining[bytes.Length..];
        return [];
    }
}
