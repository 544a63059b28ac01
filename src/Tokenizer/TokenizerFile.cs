using Microsoft.ML.Tokenizers;

namespace BytePiece;

/// <summary>Opens a model file of any format this library reads, as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (a <see cref="UnigramTokenizer"/>).</summary>
public static class TokenizerFile
{
    /// <summary>
    /// Loads a model file, its format detected from its first bytes: a <see cref="BytePieceTokenizer"/> for BytePiece
    /// JSON or native (<c>.bpm</c>), a <see cref="SentencePieceTokenizer"/> for a SentencePiece <c>.model</c>, a
    /// <see cref="HuggingFaceTokenizer"/> for a <c>tokenizer.json</c>.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is not a valid model of a format this library reads.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static UnigramTokenizer Load(string path) => ModelFile.ReadFile<UnigramTokenizer>(path, content => ModelFile.Detect(content) switch
    {
        ModelFileFormat.SentencePiece => new SentencePieceTokenizer(ModelFile.LoadSentencePiece(content)),
        ModelFileFormat.TokenizerJson => HuggingFaceTokenizer.FromJson(content),
        _ => new BytePieceTokenizer(ModelFile.Load(content)),
    });
}
