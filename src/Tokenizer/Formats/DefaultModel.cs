namespace BytePiece;

/// <summary>
/// The model shipped inside the library: 65,494 pieces (vocabulary size 65,497, so ids fit in 16 bits)
/// trained by this project's trainer on 55 MB of real Chinese, English and source-code text (Debian
/// documentation, man pages, the Python standard library, C/C++ headers), NFC, ensure_unicode on.
/// <c>corpora/train-default-model.sh</c> rebuilds it byte for byte.
/// </summary>
public static class DefaultModel
{
    private const string ResourceName = "BytePiece.default.bpm";
    private static readonly Lazy<UnigramModel> s_model = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A short name for the default model, for logs and reports.</summary>
    public const string Name = "bytepiece-mixed-64k";

    /// <summary>The default model, loaded once on first use (a few milliseconds) and shared.</summary>
    public static UnigramModel Instance => s_model.Value;

    /// <summary>The default model's file (native format), as embedded.</summary>
    public static byte[] GetFileBytes()
    {
        using Stream stream = OpenResource();
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Loads the model from the resource where it lies (mapped with the assembly: no copy of the file), trusted:
    /// <c>DefaultModelTests</c> loads it with every check too and finds the same model.
    /// </summary>
    internal static unsafe UnigramModel Load()
    {
        using Stream stream = OpenResource();
        return stream is UnmanagedMemoryStream mapped
            ? NativeModelFormat.ReadTrusted(new ReadOnlySpan<byte>(mapped.PositionPointer, checked((int)mapped.Length)))
            : NativeModelFormat.ReadTrusted(GetFileBytes());
    }

    private static Stream OpenResource() =>
        typeof(DefaultModel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing from {typeof(DefaultModel).Assembly.GetName().Name}");
}
