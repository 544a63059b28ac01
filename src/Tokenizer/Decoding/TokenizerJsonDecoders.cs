using System.Text;
using System.Text.RegularExpressions;
using BytePiece.Normalization;

namespace BytePiece.Decoding;

/// <summary>A tokenizer.json <c>decoder</c>: turns the tokens' strings into the strings that are joined into the text (HF's decode_chain).</summary>
internal abstract class DecoderStep
{
    public abstract List<string> Decode(List<string> tokens);
}

/// <summary><c>Metaspace</c>: the replacement becomes a space; the first token loses a leading space when a prefix was prepended.</summary>
internal sealed class MetaspaceDecoder(Rune replacement, PrependScheme prepend) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement.ToString(), " ");
            if (i == 0 && prepend != PrependScheme.Never && t.StartsWith(' ')) t = t[1..];
            result.Add(t);
        }
        return result;
    }
}

/// <summary><c>ByteFallback</c>: runs of <c>&lt;0xHH&gt;</c> tokens become their UTF-8 text, or one U+FFFD per byte when invalid.</summary>
internal sealed class ByteFallbackDecoder : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            try
            {
                result.Add(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                result.AddRange(Enumerable.Repeat("\uFFFD", bytes.Count));
            }
            bytes.Clear();
        }
        foreach (string t in tokens)
        {
            int b = SentencePieceModel.ParseBytePiece(Encoding.UTF8.GetBytes(t));
            if (b >= 0 && t.Length == 6) { bytes.Add((byte)b); continue; }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }
}

/// <summary><c>Fuse</c>: all tokens joined into one.</summary>
internal sealed class FuseDecoder : DecoderStep
{
    public override List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary><c>Replace</c>: the pattern replaced in every token.</summary>
internal sealed class ReplaceDecoder(Regex pattern, string content) : DecoderStep
{
    public override List<string> Decode(List<string> tokens) => tokens.Select(t => pattern.Replace(t, content.Replace("$", "$$"))).ToList();
}

/// <summary><c>Strip</c>: up to <c>start</c> leading and <c>stop</c> trailing occurrences of a character removed from every token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : DecoderStep
{
    public override List<string> Decode(List<string> tokens) => tokens.Select(t =>
    {
        int a = 0, b = t.Length;
        for (int k = 0; k < start && t.AsSpan(a).StartsWith(content); k++) a += content.Length;
        for (int k = 0; k < stop && b - content.Length >= a && t.AsSpan(a, b - a).EndsWith(content); k++) b -= content.Length;
        return t[a..b];
    }).ToList();
}

/// <summary><c>Sequence</c> of decoders.</summary>
internal sealed class DecoderSequence(IReadOnlyList<DecoderStep> steps) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        foreach (DecoderStep step in steps) tokens = step.Decode(tokens);
        return tokens;
    }
}
