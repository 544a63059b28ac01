using System.Text.Json;

namespace BytePiece.LmTools.Rope;

/// <summary>
/// Everything that determines a model's rotary frequencies, as Hugging Face configs state it
/// (<c>rope_theta</c>, <c>rope_scaling</c> in transformers v4, <c>rope_parameters</c> in v5). Immutable.
/// </summary>
public sealed record RopeParameters
{
    /// <summary>The frequency variant.</summary>
    public RopeType Type { get; init; } = RopeType.Default;

    /// <summary>Rotated dimensions per head (d): head_dim times partial_rotary_factor.</summary>
    public required int RotaryDim { get; init; }

    /// <summary>rope_theta.</summary>
    public double Base { get; init; } = 10_000;

    /// <summary>Scale factor s (rope_scaling.factor); 1 means none.</summary>
    public double Factor { get; init; } = 1;

    /// <summary>
    /// max_position_embeddings (2048 when a config has none, Hugging Face's default). Read by Dynamic NTK (the
    /// length beyond which its base grows), by LongRoPE (s = max / original), and as the fallback of <see cref="OriginalLength"/>.
    /// </summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>original_max_position_embeddings (pre-training length L), top-level or inside rope_scaling; null when absent (see <see cref="OriginalLength"/>).</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>Given attention factor (YaRN, LongRoPE); null to derive it.</summary>
    public double? AttentionFactor { get; init; }

    /// <summary>YaRN beta_fast (32).</summary>
    public double BetaFast { get; init; } = 32;

    /// <summary>YaRN beta_slow (1).</summary>
    public double BetaSlow { get; init; } = 1;

    /// <summary>YaRN truncate (true): floor/ceil the correction range.</summary>
    public bool Truncate { get; init; } = true;

    /// <summary>YaRN mscale (DeepSeek); 0 when absent.</summary>
    public double Mscale { get; init; }

    /// <summary>YaRN mscale_all_dim (DeepSeek); 0 when absent.</summary>
    public double MscaleAllDim { get; init; }

    /// <summary>Llama 3 low_freq_factor (1).</summary>
    public double LowFreqFactor { get; init; } = 1;

    /// <summary>Llama 3 high_freq_factor (4).</summary>
    public double HighFreqFactor { get; init; } = 4;

    /// <summary>NTK-mixed exponent b (Su: 0.625; the rerope patch: 0.75); config key <c>mixed_exponent</c>.</summary>
    public double MixedExponent { get; init; } = 0.625;

    /// <summary>LongRoPE short_factor (d/2 values).</summary>
    public IReadOnlyList<double>? ShortFactor { get; init; }

    /// <summary>LongRoPE long_factor (d/2 values).</summary>
    public IReadOnlyList<double>? LongFactor { get; init; }

    /// <summary>The pre-training length L used by YaRN, Llama 3 and LongRoPE: original_max_position_embeddings, else max_position_embeddings.</summary>
    public int OriginalLength => OriginalMaxPositionEmbeddings ?? MaxPositionEmbeddings;

    /// <summary>
    /// Reads the rotary parameters of a Hugging Face <c>config.json</c>: <c>rope_theta</c>, <c>head_dim</c>
    /// (or hidden_size / num_attention_heads), <c>partial_rotary_factor</c>, <c>max_position_embeddings</c>,
    /// top-level <c>original_max_position_embeddings</c> (Phi-3), and <c>rope_scaling</c> (v4) or
    /// <c>rope_parameters</c> (v5), with the legacy key <c>type</c> accepted for <c>rope_type</c>.
    /// Su's NTK-mixed, which Hugging Face has no type for, is read from
    /// <c>{"rope_type": "ntk_mixed", "factor": s, "mixed_exponent": b}</c> (b defaults to 0.625; <c>"ntk-mixed"</c>
    /// is accepted too); the static NTK helper from <c>"ntk"</c> with <c>factor</c>.
    /// </summary>
    /// <exception cref="FormatException">The JSON is malformed, or a value has the wrong type or an unknown rope type.</exception>
    public static RopeParameters FromHuggingFaceConfig(string json)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"config.json is not valid JSON: {e.Message}", e); }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("config.json must be a JSON object");
            JsonElement? scaling = Object(root, "rope_parameters") ?? Object(root, "rope_scaling");
            int headDim = Int(root, "head_dim")
                ?? (Int(root, "hidden_size") is int hidden && Int(root, "num_attention_heads") is int heads && heads > 0
                    ? hidden / heads
                    : throw new FormatException("config.json has neither head_dim nor hidden_size and num_attention_heads"));
            double partial = Number(root, "partial_rotary_factor") ?? (scaling is { } sp ? Number(sp, "partial_rotary_factor") : null) ?? 1;
            string typeName = (scaling is { } s ? String(s, "rope_type") ?? String(s, "type") : null) ?? "default";
            var result = new RopeParameters
            {
                Type = typeName switch
                {
                    "default" => RopeType.Default,
                    "linear" => RopeType.Linear,
                    "dynamic" => RopeType.Dynamic,
                    "yarn" => RopeType.Yarn,
                    "llama3" => RopeType.Llama3,
                    "longrope" or "su" => RopeType.LongRope,
                    "ntk" => RopeType.Ntk,
                    "ntk_mixed" or "ntk-mixed" => RopeType.NtkMixed,
                    _ => throw new FormatException($"unknown rope type \"{typeName}\""),
                },
                RotaryDim = (int)(headDim * partial),
                Base = (scaling is { } b ? Number(b, "rope_theta") : null) ?? Number(root, "rope_theta") ?? 10_000,
                MaxPositionEmbeddings = Int(root, "max_position_embeddings") ?? 2048,
                OriginalMaxPositionEmbeddings = Int(root, "original_max_position_embeddings") ?? (scaling is { } o ? Int(o, "original_max_position_embeddings") : null),
            };
            if (scaling is not { } p) return result;
            return result with
            {
                Factor = Number(p, "factor") ?? 1,
                AttentionFactor = Number(p, "attention_factor"),
                BetaFast = Number(p, "beta_fast") ?? 32,
                BetaSlow = Number(p, "beta_slow") ?? 1,
                Truncate = p.TryGetProperty("truncate", out var t) ? t.ValueKind == JsonValueKind.True : true,
                Mscale = Number(p, "mscale") ?? 0,
                MscaleAllDim = Number(p, "mscale_all_dim") ?? 0,
                LowFreqFactor = Number(p, "low_freq_factor") ?? 1,
                HighFreqFactor = Number(p, "high_freq_factor") ?? 4,
                MixedExponent = Number(p, "mixed_exponent") ?? 0.625,
                ShortFactor = Numbers(p, "short_factor"),
                LongFactor = Numbers(p, "long_factor"),
            };
        }
    }

    private static JsonElement? Object(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static double? Number(JsonElement e, string name)
        => !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new FormatException($"\"{name}\" must be a number");

    private static int? Int(JsonElement e, string name)
        => Number(e, name) is double d ? (d == Math.Floor(d) && d >= 0 && d <= int.MaxValue ? (int)d : throw new FormatException($"\"{name}\" must be a non-negative integer")) : null;

    private static string? String(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double[]? Numbers(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : throw new FormatException($"\"{name}\" must hold numbers")).ToArray()
            : null;
}
