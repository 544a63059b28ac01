namespace BytePiece.Families;

/// <summary>
/// Token budgets over an encoding (Microsoft.ML.Tokenizers' <c>maxTokenCount</c> and
/// <c>GetIndexByTokenCount</c>): the longest prefix or suffix of the text made of at most N whole tokens of the
/// text's own encoding. A cut falls only between two tokens where the text splits cleanly, so the prefix (or
/// suffix) is spelled by exactly the tokens on its side.
/// </summary>
internal static class TokenBudget
{
    /// <summary>Where a cut after each token is clean by the tokens' ranges alone: the token has a range of its own and the next one begins where it ends or after (a token with an empty range, such as the first byte pieces of a character, stays with the token after it).</summary>
    public static bool[] CleanCutsByRange(IReadOnlyList<PieceToken> tokens)
    {
        var clean = new bool[tokens.Count];
        for (int k = 0; k < clean.Length; k++)
        {
            Range own = tokens[k].Offset;
            clean[k] = own.End.Value > own.Start.Value && (k + 1 == clean.Length || tokens[k + 1].Offset.Start.Value >= own.End.Value);
        }
        return clean;
    }

    /// <summary>The end of the longest prefix of at most <paramref name="maxTokenCount"/> whole tokens (the whole text when they all fit).</summary>
    /// <param name="tokens">The text's tokens, in order, with ranges into the text.</param>
    /// <param name="cleanAfter">Whether the text can be cut after each token.</param>
    /// <param name="textLength">The text's length.</param>
    /// <param name="maxTokenCount">The budget.</param>
    /// <param name="tokenCount">How many tokens the prefix holds.</param>
    public static int Prefix(IReadOnlyList<PieceToken> tokens, ReadOnlySpan<bool> cleanAfter, int textLength, int maxTokenCount, out int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokenCount);
        tokenCount = tokens.Count;
        if (tokens.Count <= maxTokenCount) return textLength;
        for (tokenCount = maxTokenCount; tokenCount > 0; tokenCount--)
            if (cleanAfter[tokenCount - 1]) return tokens[tokenCount - 1].Offset.End.Value;
        return 0;
    }

    /// <summary>The start of the longest suffix of at most <paramref name="maxTokenCount"/> whole tokens (0 when they all fit).</summary>
    /// <param name="tokens">The text's tokens, in order, with ranges into the text.</param>
    /// <param name="cleanAfter">Whether the text can be cut after each token.</param>
    /// <param name="textLength">The text's length.</param>
    /// <param name="maxTokenCount">The budget.</param>
    /// <param name="tokenCount">How many tokens the suffix holds.</param>
    public static int Suffix(IReadOnlyList<PieceToken> tokens, ReadOnlySpan<bool> cleanAfter, int textLength, int maxTokenCount, out int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokenCount);
        int n = tokens.Count;
        tokenCount = n;
        if (n <= maxTokenCount) return 0;
        for (tokenCount = maxTokenCount; tokenCount > 0; tokenCount--)
            if (cleanAfter[n - 1 - tokenCount]) return tokens[n - tokenCount].Offset.Start.Value;
        return textLength;
    }
}
