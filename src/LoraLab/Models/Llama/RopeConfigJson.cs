using System.Text.Json.Nodes;
using static LoraLab.Models.Llama.ConfigJsonValues;

namespace LoraLab.Models.Llama;

/// <summary>
/// Reads RoPE settings from <c>config.json</c> in both transformers dialects and writes a file both read alike.
/// <para>
/// The rules, from huggingface/transformers (src/transformers/modeling_rope_utils.py,
/// <c>RotaryEmbeddingConfigMixin.convert_rope_params_to_dict</c> / <c>standardize_rope_params</c> /
/// <c>_validate_*_rope_parameters</c>, and configuration_utils.py; see docs/CONFIG.md):
/// </para>
/// <list type="bullet">
/// <item>v4 writes <c>rope_theta</c> (default 10000) and <c>rope_scaling</c> (null or a dict without rope_theta);
/// v5 writes one dict <c>rope_parameters</c> holding <c>rope_type</c> and <c>rope_theta</c> too.</item>
/// <item>v5 takes <c>rope_scaling</c> when it is a non-empty dict, else <c>rope_parameters</c>; the dict's
/// <c>rope_theta</c> wins over the top-level one, which wins over 10000.</item>
/// <item><c>rope_type</c> defaults to the legacy <c>type</c>, then to "default".</item>
/// <item>llama3 needs factor, low_freq_factor and high_freq_factor (a KeyError in transformers when missing);
/// v5 fills a missing <c>original_max_position_embeddings</c> with <c>max_position_embeddings</c>.</item>
/// </list>
/// Where a file carries both dialects and they disagree, v4 and v5 would build different models: refused.
/// </summary>
internal static class RopeConfigJson
{
    private static readonly string[] CommonKeys = { "rope_type", "type", "rope_theta", "partial_rotary_factor" };
    private static readonly string[] LinearKeys = { "factor" };
    private static readonly string[] Llama3Keys = { "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings" };

    /// <summary>θ and scaling as transformers 5 reads them (and 4.4x, for files it can read).</summary>
    public static (double Theta, RopeScaling? Scaling) Read(JsonObject o, int maxPositionEmbeddings, string path)
    {
        var legacy = Obj(o, "rope_scaling", path);
        var current = Obj(o, "rope_parameters", path);
        if (current is not null && current.Any(kv => kv.Value is JsonObject))
            throw new LoraLabException($"{path}: 'rope_parameters' holds per-layer-type dicts; Llama has one RoPE for every layer.");
        double? topTheta = Num(o, "rope_theta", path);
        Parsed? fromLegacy = legacy is { Count: > 0 } ? Parse(legacy, "rope_scaling", maxPositionEmbeddings, path) : null;
        Parsed? fromCurrent = current is { Count: > 0 } ? Parse(current, "rope_parameters", maxPositionEmbeddings, path) : null;
        if (fromLegacy is not null && fromCurrent is not null && !fromLegacy.SameRope(fromCurrent))
            throw new LoraLabException(
                $"{path}: 'rope_scaling' ({legacy!.ToJsonString()}) and 'rope_parameters' ({current!.ToJsonString()}) disagree; "
                + "transformers 4 reads the first and 5 the second. Keep one, or make them equal.");
        var chosen = fromLegacy ?? fromCurrent;
        double? dictTheta = fromLegacy?.Theta ?? fromCurrent?.Theta;
        foreach (var (parsed, name) in new[] { (fromLegacy, "rope_scaling"), (fromCurrent, "rope_parameters") })
        {
            if (topTheta is double t && parsed?.Theta is double dt && t != dt)
                throw new LoraLabException(
                    $"{path}: 'rope_theta' ({t}) and '{name}.rope_theta' ({dt}) disagree; transformers 4 reads the first and 5 the second. Make them equal.");
        }
        double theta = dictTheta ?? topTheta ?? 10000.0;
        if (!(theta > 0) || double.IsInfinity(theta))
            throw new LoraLabException($"{path}: 'rope_theta' must be a positive number, got {theta}.");
        double? topPartial = Num(o, "partial_rotary_factor", path);
        if ((chosen?.PartialRotaryFactor ?? topPartial) is double prf && prf != 1.0)
            throw new LoraLabException(
                $"{path}: 'partial_rotary_factor' {prf} is not supported; Llama rotates the whole head (1.0). Remove it or set it to 1.0.");
        return (theta, chosen?.Scaling);
    }

    /// <summary>
    /// Writes both dialects, equal in meaning: <c>rope_theta</c> + <c>rope_scaling</c> (no rope_theta inside, as v4's
    /// validation expects) for transformers 4, and <c>rope_parameters</c> for 5 (which takes a non-null rope_scaling
    /// first, so the two must agree — they do by construction).
    /// </summary>
    public static void Write(JsonObject o, double theta, RopeScaling? scaling)
    {
        o["rope_theta"] = theta;
        var parameters = new JsonObject { ["rope_type"] = scaling?.RopeType ?? "default", ["rope_theta"] = theta };
        if (scaling is null)
        {
            o["rope_scaling"] = null;
        }
        else
        {
            var legacy = new JsonObject { ["rope_type"] = scaling.RopeType };
            foreach (var (key, value) in ScalingFields(scaling))
            {
                legacy[key] = value;
                parameters[key] = value.DeepClone();
            }
            o["rope_scaling"] = legacy;
        }
        o["rope_parameters"] = parameters;
    }

    private static IEnumerable<(string Key, JsonNode Value)> ScalingFields(RopeScaling s)
    {
        yield return ("factor", JsonValue.Create(s.Factor));
        if (s.RopeType != "llama3") yield break;
        yield return ("low_freq_factor", JsonValue.Create(s.LowFreqFactor));
        yield return ("high_freq_factor", JsonValue.Create(s.HighFreqFactor));
        yield return ("original_max_position_embeddings", JsonValue.Create(s.OriginalMaxPositionEmbeddings));
    }

    private sealed record Parsed(RopeScaling? Scaling, double? Theta, double? PartialRotaryFactor)
    {
        public bool SameRope(Parsed other) => Equals(Scaling, other.Scaling) && (Theta is null || other.Theta is null || Theta == other.Theta);
    }

    private static Parsed Parse(JsonObject d, string name, int maxPositionEmbeddings, string path)
    {
        string prefix = name + ".";
        string? ropeType = Str(d, "rope_type", path, prefix);
        string? legacyType = Str(d, "type", path, prefix);
        if (ropeType is not null && legacyType is not null && ropeType != legacyType)
            throw new LoraLabException(
                $"{path}: '{prefix}rope_type' \"{ropeType}\" and '{prefix}type' \"{legacyType}\" disagree "
                + "(transformers 4 reads 'type', 5 reads 'rope_type'). Keep one.");
        string type = ropeType ?? legacyType ?? "default";
        string[] allowed = type switch
        {
            "default" => CommonKeys,
            "linear" => CommonKeys.Concat(LinearKeys).ToArray(),
            "llama3" => CommonKeys.Concat(Llama3Keys).ToArray(),
            _ => throw new LoraLabException(
                $"{path}: '{prefix}rope_type' \"{type}\" is not supported; supported: {string.Join(", ", RopeScaling.SupportedTypes)} "
                + "(dynamic, yarn, longrope and others change the rotation in ways LoraLab does not implement)."),
        };
        var unknown = d.Select(kv => kv.Key).Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new LoraLabException(
                $"{path}: '{prefix}{unknown[0]}' is not used by rope_type \"{type}\" and LoraLab does not apply it; "
                + $"remove it (allowed: {string.Join(", ", allowed)}).");
        double? theta = Num(d, "rope_theta", path, prefix);
        double? partial = Num(d, "partial_rotary_factor", path, prefix);
        if (type == "default") return new Parsed(null, theta, partial);
        double factor = Num(d, "factor", path, prefix) ?? throw Missing(path, prefix + "factor");
        if (!(factor > 0) || double.IsInfinity(factor))
            throw new LoraLabException($"{path}: '{prefix}factor' must be a positive number, got {factor}.");
        if (type == "linear") return new Parsed(new RopeScaling("linear", factor), theta, partial);
        double low = Num(d, "low_freq_factor", path, prefix) ?? throw Missing(path, prefix + "low_freq_factor");
        double high = Num(d, "high_freq_factor", path, prefix) ?? throw Missing(path, prefix + "high_freq_factor");
        if (!(low > 0) || !(high > low) || double.IsInfinity(high))
            throw new LoraLabException(
                $"{path}: '{prefix}high_freq_factor' ({high}) must exceed '{prefix}low_freq_factor' ({low}), and both must be positive.");
        int original = Int(d, "original_max_position_embeddings", path, prefix) ?? maxPositionEmbeddings;
        if (original <= 0)
            throw new LoraLabException($"{path}: '{prefix}original_max_position_embeddings' must be a positive integer, got {original}.");
        return new Parsed(new RopeScaling("llama3", factor, low, high, original), theta, partial);
    }
}
