// A minimal ASP.NET Core endpoint that tokenizes posted text with one shared tokenizer instance.
//   dotnet run --project samples/WebApi -- --urls http://127.0.0.1:5080 [--model FILE]
// Without --model: the embedded default model; with it, any model file (BytePiece JSON or .bpm,
// SentencePiece .model, tokenizer.json). The endpoints are written against Microsoft.ML.Tokenizers'
// Tokenizer alone, so any ML.Tokenizers tokenizer plugs in (BytePiece ones also stream /count).
//   curl -s --data-binary '广州的白云机场' http://127.0.0.1:5080/tokenize
//   curl -s --data-binary @big.txt http://127.0.0.1:5080/count     (any size: not held, no body limit)
// Invalid UTF-8 gets 400 with {"error", "offset"} (the offset of the first invalid byte in the body).
// --exit-after N stops the server once N requests have been answered (used by the tests).
using System.Buffers;
using System.Text.Unicode;
using BytePiece;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.ML.Tokenizers;

var builder = WebApplication.CreateBuilder(args);
// Loaded models are immutable and thread-safe: one instance serves every request.
Tokenizer shared = builder.Configuration["model"] is { Length: > 0 } path ? TokenizerFile.Load(path) : BytePieceTokenizer.Default;
builder.Services.AddSingleton(shared);
var app = builder.Build();

if (int.TryParse(app.Configuration["exit-after"], out int exitAfter) && exitAfter > 0)
{
    int answered = 0;
    var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
    app.Use(async (context, next) =>
    {
        context.Response.OnCompleted(() =>
        {
            if (Interlocked.Increment(ref answered) == exitAfter) lifetime.StopApplication();
            return Task.CompletedTask;
        });
        await next(context);
    });
}

const int MaxTextBytes = 1 << 20;

// The body is UTF-8 text (up to 1 MiB); the answer holds ids and tokens with UTF-16 offsets into that text.
app.MapPost("/tokenize", async (HttpRequest request, Tokenizer tokenizer) =>
{
    var (text, error) = await ReadText(request);
    if (text is null) return error!;
    // Offsets refer to the posted text itself (our tokenizers return no normalized text; another
    // ML.Tokenizers tokenizer may, and then its offsets refer to that).
    var tokens = tokenizer.EncodeToTokens(text, out _);
    return Results.Json(new
    {
        count = tokens.Count,
        ids = tokens.Select(t => t.Id),
        tokens = tokens.Select(t => new { id = t.Id, value = t.Value, start = t.Offset.Start.Value, end = t.Offset.End.Value }),
    });
});

// Any size with a BytePiece model: the body is streamed through the request's PipeReader, never held
// whole, so Kestrel's request body limit (30 MB by default) is lifted for this endpoint alone. Any other
// tokenizer counts a body of up to 1 MiB with CountTokens.
app.MapPost("/count", async (HttpRequest request, Tokenizer tokenizer) =>
{
    if (tokenizer is not BytePieceTokenizer bytePiece)
    {
        var (text, error) = await ReadText(request);
        return text is null ? error! : Results.Json(new { count = tokenizer.CountTokens(text) });
    }
    if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
    long count = 0;
    try
    {
        await foreach (int _ in new StreamingEncoder(bytePiece).EncodeAsync(request.BodyReader, request.HttpContext.RequestAborted))
            count++;
    }
    catch (InvalidUtf8Exception e)
    {
        return InvalidUtf8(e); // the encoder leaves the body reader usable, so the connection serves the next request
    }
    return Results.Json(new { count });
});

// The body as text, at most 1 MiB (413 beyond, whatever the body claims: it may be chunked), or 400 for invalid UTF-8.
static async Task<(string? Text, IResult? Error)> ReadText(HttpRequest request)
{
    if (request.ContentLength > MaxTextBytes) return (null, Results.StatusCode(StatusCodes.Status413PayloadTooLarge));
    using var body = new MemoryStream();
    byte[] block = new byte[1 << 16];
    for (int read; (read = await request.Body.ReadAsync(block, request.HttpContext.RequestAborted)) > 0;)
    {
        body.Write(block, 0, read);
        if (body.Length > MaxTextBytes) return (null, Results.StatusCode(StatusCodes.Status413PayloadTooLarge));
    }
    ReadOnlySpan<byte> utf8 = body.GetBuffer().AsSpan(0, (int)body.Length);
    char[] chars = new char[utf8.Length];
    if (Utf8.ToUtf16(utf8, chars, out int bytesRead, out int written, replaceInvalidSequences: false) != OperationStatus.Done)
        return (null, InvalidUtf8(new InvalidUtf8Exception(bytesRead)));
    return (new string(chars, 0, written), null);
}

// Bad input is the client's error: 400 with the offset of the first invalid byte in the body.
static IResult InvalidUtf8(InvalidUtf8Exception e) => Results.Json(new { error = e.Message, offset = e.ByteOffset }, statusCode: StatusCodes.Status400BadRequest);

app.Run();
