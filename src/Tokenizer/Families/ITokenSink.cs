namespace BytePiece.Families;

/// <summary>Receives the tokens of each chunk, in order. Implemented by structs so calls are inlined.</summary>
internal interface ITokenSink
{
    /// <summary>Called before a chunk's tokens; false refuses the chunk (destination full) and stops encoding.</summary>
    bool BeginChunk(int tokenCount);

    /// <summary>One token: its id and its byte range in the encoded input.</summary>
    void Add(int id, int byteStart, int byteEnd);

    /// <summary>Whether <see cref="Add"/> reads the byte ranges (a constant per sink type: the encoder skips the offset map when not).</summary>
    static virtual bool NeedsOffsets => true;
}

/// <summary>Collects ids into a list.</summary>
internal struct IdListSink(List<int> ids) : ITokenSink
{
    public static bool NeedsOffsets => false;
    public readonly List<int> Ids = ids;
    public readonly bool BeginChunk(int tokenCount) => true;
    public readonly void Add(int id, int byteStart, int byteEnd) => Ids.Add(id);
}

/// <summary>Counts tokens.</summary>
internal struct CountSink : ITokenSink
{
    public static bool NeedsOffsets => false;
    public int Count;
    public bool BeginChunk(int tokenCount)
    {
        Count += tokenCount;
        return true;
    }
    public readonly void Add(int id, int byteStart, int byteEnd) { }
}

/// <summary>Writes ids into a caller's span, whole chunks only, so a caller can resume at a chunk boundary.</summary>
internal ref struct SpanSink(Span<int> destination, int written) : ITokenSink
{
    public static bool NeedsOffsets => false;
    private readonly Span<int> _destination = destination;
    public int Written = written;

    public readonly bool BeginChunk(int tokenCount) => tokenCount <= _destination.Length - Written;
    public void Add(int id, int byteStart, int byteEnd) => _destination[Written++] = id;
}

/// <summary>Collects (id, byte start, byte end) triples.</summary>
internal struct SpanListSink(List<(int Id, int Start, int End)> tokens) : ITokenSink
{
    public readonly List<(int Id, int Start, int End)> Tokens = tokens;
    public readonly bool BeginChunk(int tokenCount) => true;
    public readonly void Add(int id, int byteStart, int byteEnd) => Tokens.Add((id, byteStart, byteEnd));
}
