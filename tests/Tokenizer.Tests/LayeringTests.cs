using BytePiece.Tests.Support;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// The library's folders are layers: a type may use types of its own folder and of the layers below it, never above
/// (docs/architecture.md draws them). Read from the compiled assembly: every type the IL and metadata name.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Bottom to top; folders on one rank are peers and must not use each other.</summary>
    private static readonly string[][] Layers =
    [
        ["Errors"],
        ["Text"],
        ["Lookup"],
        ["Normalization"],
        ["Model"],
        ["Decoding"],
        ["Formats"],
        ["Lattice"],
        ["Families"],
        ["Families/BytePiece", "Families/SentencePiece", "Families/HuggingFace"],
        ["Streaming", "Training"],
        [""],  // the root: TokenizerFile, which chooses a family from a file
    ];

    private static readonly Lazy<TypeReferences> Library = new(() => new TypeReferences(typeof(UnigramTokenizer).Assembly.Location));

    private static string FolderOf(DeclaredType type)
    {
        string path = type.SourcePath.Replace('\\', '/');
        const string Root = "/src/Tokenizer/";
        int at = path.LastIndexOf(Root, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{type.Name} is declared outside src/Tokenizer: {type.SourcePath}");
        string relative = path[(at + Root.Length)..];
        int slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }

    private static int RankOf(string folder)
    {
        for (int i = 0; i < Layers.Length; i++)
            if (Layers[i].Contains(folder)) return i;
        return -1;
    }

    [Fact]
    public void EveryFolderOfTheLibraryHasALayer()
    {
        var unplaced = Library.Value.Types.Values.Select(FolderOf).Distinct().Where(f => RankOf(f) < 0).Order().ToList();
        Assert.True(unplaced.Count == 0, $"folders with no layer in {nameof(LayeringTests)}.{nameof(Layers)}: {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void EveryReferenceBetweenFoldersRunsDownTheLayers()
    {
        TypeReferences library = Library.Value;
        var violations = new List<string>();
        foreach (var (name, uses) in library.Uses)
        {
            DeclaredType from = library.Types[name];
            string fromFolder = FolderOf(from);
            foreach (string used in uses)
            {
                if (!library.Types.TryGetValue(used, out DeclaredType? to)) continue;
                string toFolder = FolderOf(to);
                if (toFolder != fromFolder && RankOf(toFolder) >= RankOf(fromFolder))
                    violations.Add($"{Show(fromFolder)}/{from.Name} uses {Show(toFolder)}/{to.Name}");
            }
        }
        violations.Sort(StringComparer.Ordinal);
        Assert.True(violations.Count == 0, $"{violations.Count} references run up or across the layers:\n{string.Join("\n", violations)}");
    }

    [Fact]
    public void InternalTypesLiveInTheirFoldersNamespace_PublicTypesInTheOnePublicNamespace()
    {
        var wrong = new List<string>();
        foreach (DeclaredType type in Library.Value.Types.Values)
        {
            string folder = FolderOf(type);
            // The public API is one namespace (as Microsoft.ML.Tokenizers'), plus training's own.
            string expected = folder == "Training" ? "BytePiece.Training"
                : type.IsPublic || folder.Length == 0 ? "BytePiece"
                : "BytePiece." + folder.Replace('/', '.');
            if (type.Namespace != expected) wrong.Add($"{type.Name} in {Show(folder)} should be in namespace {expected}");
        }
        wrong.Sort(StringComparer.Ordinal);
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Theory]
    [InlineData("BytePiece.Lattice.Viterbi", "BytePiece.Lookup.PieceTrie")]  // a field type and calls
    [InlineData("BytePiece.UnigramTokenizer", "BytePiece.Decoding.SpanDecoder")]  // a static call in a body
    [InlineData("BytePiece.TokenizerFile", "BytePiece.SentencePieceTokenizer")]  // a constructor call in a lambda or switch
    [InlineData("BytePiece.Lattice.LatticeGraph", "BytePiece.Lattice.WordLattice")]
    public void TheReaderSeesAReferenceTheSourceMakes(string user, string used)
    {
        Assert.Contains(used, Library.Value.Uses[user]);
    }

    private static string Show(string folder) => folder.Length == 0 ? "(root)" : folder;
}
