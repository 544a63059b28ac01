using System.Text;

namespace BytePiece.Cli;

/// <summary>
/// A model the host reads a sentence per line with, as its own tools do (spm_encode, HF's encode per
/// string): a SentencePiece <c>.model</c> or a HuggingFace <c>tokenizer.json</c>.
/// </summary>
internal abstract class SentenceModel
{
    /// <summary>The sentence view of a SentencePiece or tokenizer.json tokenizer; null for a BytePiece one.</summary>
    public static SentenceModel? Of(UnigramTokenizer tokenizer) => tokenizer switch
    {
        SentencePieceTokenizer spm => new SentencePieceSentences(spm),
        HuggingFaceTokenizer hf => new HuggingFaceSentences(hf),
        _ => null,
    };

    public abstract IdVocabulary Vocabulary { get; }

    public int VocabSize => Vocabulary.VocabSize;

    /// <summary>Refuses options the model cannot honour (--bos/--eos, sampling), before any output is written.</summary>
    public virtual void CheckOptions(bool bos, bool eos, SamplingOptions sampling) { }

    /// <summary>Decodes each input line of ids to one output line (spm_decode), or the ids given as arguments to one line; line by line as it reads.</summary>
    public void DecodeLines(Stream input, bool arguments, Stream output)
    {
        var ids = new List<int>();
        IdReader.Read(input, arguments, (id, where) =>
        {
            if (id >= VocabSize) throw new CliException(ExitCodes.BadInput, $"id {id} is not in the model (ids go up to {VocabSize - 1}; {where()})");
            ids.Add(id);
        }, () =>
        {
            output.Write(Encoding.UTF8.GetBytes(Unigram.Decode(ids)));
            output.WriteByte((byte)'\n');
            ids.Clear();
        });
    }

    public abstract string Info(string path);

    /// <summary>The tokenizer (n-best, entropy, sampling and decoding have the same shape on every family).</summary>
    public abstract UnigramTokenizer Unigram { get; }
}

internal sealed class SentencePieceSentences(SentencePieceTokenizer tokenizer) : SentenceModel
{
    public SentencePieceTokenizer Tokenizer { get; } = tokenizer;

    public override IdVocabulary Vocabulary { get; } = new(tokenizer.VocabSize, tokenizer.Model.IdToPiece, tokenizer.Model.BosId, tokenizer.Model.EosId);

    public override void CheckOptions(bool bos, bool eos, SamplingOptions sampling)
    {
        if (bos && Tokenizer.Model.BosId < 0) throw new CliException(ExitCodes.Usage, "the model has no beginning-of-sentence piece for --bos");
        if (eos && Tokenizer.Model.EosId < 0) throw new CliException(ExitCodes.Usage, "the model has no end-of-sentence piece for --eos");
    }

    public override UnigramTokenizer Unigram => Tokenizer;

    public override string Info(string path)
    {
        SentencePieceModel m = Tokenizer.Model;
        int Count(SentencePieceType type) => Enumerable.Range(0, m.VocabSize).Count(id => m.GetPieceType(id) == type);
        return new StringBuilder()
            .AppendLine($"file           {path} (SentencePiece Unigram)")
            .AppendLine($"vocab size     {m.VocabSize} ({Count(SentencePieceType.Normal)} normal, {Count(SentencePieceType.UserDefined)} user-defined, "
                + $"{Count(SentencePieceType.Control)} control, {Count(SentencePieceType.Byte)} byte, {Count(SentencePieceType.Unused)} unused, 1 unknown)")
            .AppendLine($"specials       unk {m.UnknownId}, bos {m.BosId}, eos {m.EosId}, pad {m.PadId} (-1: none)")
            .AppendLine($"normalizer     {(m.NormalizerName.Length == 0 ? "(unnamed)" : m.NormalizerName)}; add_dummy_prefix {m.AddDummyPrefix}, "
                + $"remove_extra_whitespaces {m.RemoveExtraWhitespaces}, escape_whitespaces {m.EscapeWhitespaces}")
            .AppendLine($"options        byte_fallback {m.ByteFallback}, treat_whitespace_as_suffix {m.TreatWhitespaceAsSuffix}")
            .AppendLine($"scores         {m.MinScore} .. {m.MaxScore} (normal pieces)")
            .ToString();
    }
}

internal sealed class HuggingFaceSentences(HuggingFaceTokenizer tokenizer) : SentenceModel
{
    public HuggingFaceTokenizer Tokenizer => tokenizer;

    public override IdVocabulary Vocabulary { get; } = new(tokenizer.VocabSize, tokenizer.IdToToken, -1, -1);

    public override UnigramTokenizer Unigram => tokenizer;

    public override string Info(string path) => $"file           {path} (HuggingFace tokenizer.json, Unigram)\nvocab size     {tokenizer.VocabSize}\n";
}
