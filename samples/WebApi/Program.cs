// A minimal ASP.NET Core endpoint that tokenizes posted text with one shared tokenizer instance.
//   dotnet run --project samples/WebApi -- --urls http://127.0.0.1:5080 [--model FILE]
// Without --model: the embedded default model; with it, any model file (BytePiece JSON or .bpm,
// SentencePiece .model, tokenizer.json), served through the common Tokenizer surface.
//   curl -s --data-binary '广州的白云机场' http://127.0.0.1:5080/tokenize
//   curl -s --data-binary @big.txt http://127.0.0.1:5080/count
// --exit-after N stops the server once N requests have been answered (used by the tests).
using BytePiece;

var builder = WebApplication.CreateBuilder(args);
// Loaded models are immutable and thread-safe: one instance serves every request.
Tokenizer shared = builder.Configuration["model"] is { Length: > 0 } path ? Tokenizer.Load(path) : BytePieceTokenizer.Default;
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

const long MaxTextBytes = 1 << 20;

// The body is UTF-8 text; the answer holds ids and tokens with UTF-16 offsets into that text.
app.MapPost("/tokenize", async (HttpRequest request, Tokenizer tokenizer) =>
{
    if (request.ContentLength > MaxTextBytes) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
    using var reader = new StreamReader(request.Body);
    string text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    if (text.Length > MaxTextBytes) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
    var tokens = tokenizer.EncodeToTokens(text);
    return Results.Json(new
    {
        count = tokens.Count,
        ids = tokens.Select(t => t.Id),
        tokens = tokens.Select(t => new { id = t.Id, value = t.Value, start = t.Offset.Start.Value, end = t.Offset.End.Value }),
    });
});

// Any size, with a BytePiece model: the body is streamed through the request's PipeReader, never held whole.
app.MapPost("/count", async (HttpRequest request, Tokenizer tokenizer) =>
{
    if (tokenizer is not BytePieceTokenizer bytePiece) return Results.BadRequest("streaming needs a BytePiece model");
    long count = 0;
    await foreach (int _ in new StreamingEncoder(bytePiece).EncodeAsync(request.BodyReader, request.HttpContext.RequestAborted))
        count++;
    return Results.Json(new { count });
});

app.Run();
