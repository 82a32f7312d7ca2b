using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Models.Llama;

/// <summary>Maps <see cref="LlamaConfig"/> to and from Hugging Face's <c>config.json</c> keys.</summary>
internal static class LlamaConfigJson
{
    private static readonly string[] LlamaModelTypes = { "llama" };

    public static LlamaConfig FromJson(JsonObject o, string path)
    {
        string? modelType = Str(o, "model_type", path);
        var archs = o["architectures"] as JsonArray;
        string? arch = archs?.Count > 0 ? archs[0]?.ToString() : null;
        if (modelType is null && arch is null)
            throw new LoraLabException($"{path}: neither 'model_type' nor 'architectures' is set; expected model_type \"llama\".");
        if (modelType is not null && !LlamaModelTypes.Contains(modelType))
            throw new LoraLabException($"{path}: 'model_type' is \"{modelType}\", but LoraLab supports only Llama-architecture models (model_type \"llama\").");
        if (arch is not null && arch != "LlamaForCausalLM")
            throw new LoraLabException($"{path}: 'architectures' is [\"{arch}\"], but LoraLab supports only LlamaForCausalLM.");
        if (Bool(o, "attention_bias", path) == true || Bool(o, "mlp_bias", path) == true)
            throw new LoraLabException($"{path}: 'attention_bias'/'mlp_bias' true is not supported (Llama models have no biases).");
        string? act = Str(o, "hidden_act", path);
        if (act is not null && act != "silu")
            throw new LoraLabException($"{path}: 'hidden_act' \"{act}\" is not supported; Llama uses \"silu\".");

        int hidden = Int(o, "hidden_size", path) ?? throw Missing(path, "hidden_size");
        int heads = Int(o, "num_attention_heads", path) ?? throw Missing(path, "num_attention_heads");
        int? eos = null;
        var extraEos = new List<int>();
        switch (o["eos_token_id"])
        {
            case JsonArray arr:
                foreach (var n in arr) { int v = IntOf(n, "eos_token_id", path); if (eos is null) eos = v; else extraEos.Add(v); }
                break;
            case null: break;
            default: eos = Int(o, "eos_token_id", path); break;
        }
        return new LlamaConfig
        {
            HiddenSize = hidden,
            IntermediateSize = Int(o, "intermediate_size", path) ?? throw Missing(path, "intermediate_size"),
            NumHiddenLayers = Int(o, "num_hidden_layers", path) ?? throw Missing(path, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int(o, "num_key_value_heads", path) ?? heads,
            HeadDim = Int(o, "head_dim", path) ?? (heads > 0 ? hidden / heads : 0),
            RmsNormEps = Num(o, "rms_norm_eps", path) ?? 1e-6,
            RopeTheta = Num(o, "rope_theta", path) ?? 10000.0,
            RopeScaling = ParseRopeScaling(o["rope_scaling"], path),
            MaxPositionEmbeddings = Int(o, "max_position_embeddings", path) ?? 2048,
            VocabSize = Int(o, "vocab_size", path) ?? throw Missing(path, "vocab_size"),
            TieWordEmbeddings = Bool(o, "tie_word_embeddings", path) ?? false,
            BosTokenId = o.ContainsKey("bos_token_id") ? Int(o, "bos_token_id", path) : 1,
            EosTokenId = o.ContainsKey("eos_token_id") ? eos : 2,
            ExtraEosTokenIds = extraEos,
            PadTokenId = Int(o, "pad_token_id", path),
            TorchDtype = Str(o, "torch_dtype", path) ?? Str(o, "dtype", path) ?? "float32",
            AttentionDropout = Num(o, "attention_dropout", path) ?? 0.0,
        };
    }

    public static JsonObject ToJson(LlamaConfig c)
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads,
            ["num_key_value_heads"] = c.NumKeyValueHeads,
            ["head_dim"] = c.HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["vocab_size"] = c.VocabSize,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["attention_dropout"] = c.AttentionDropout,
            ["initializer_range"] = 0.02,
            ["pretraining_tp"] = 1,
            ["use_cache"] = true,
            ["torch_dtype"] = c.TorchDtype,
        };
        if (c.BosTokenId is int b) o["bos_token_id"] = b;
        if (c.ExtraEosTokenIds.Count > 0)
            o["eos_token_id"] = new JsonArray(c.AllEosTokenIds.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        else if (c.EosTokenId is int e) o["eos_token_id"] = e;
        if (c.PadTokenId is int p) o["pad_token_id"] = p;
        if (c.RopeScaling is { } rs)
        {
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = rs.RopeType,
                ["factor"] = rs.Factor,
                ["low_freq_factor"] = rs.LowFreqFactor,
                ["high_freq_factor"] = rs.HighFreqFactor,
                ["original_max_position_embeddings"] = rs.OriginalMaxPositionEmbeddings,
            };
        }
        else
        {
            o["rope_scaling"] = null;
        }
        return o;
    }

    private static RopeScaling? ParseRopeScaling(JsonNode? node, string path)
    {
        if (node is null) return null;
        if (node is not JsonObject rs) throw new LoraLabException($"{path}: 'rope_scaling' must be an object or null.");
        string type = Str(rs, "rope_type", path) ?? Str(rs, "type", path)
            ?? throw new LoraLabException($"{path}: 'rope_scaling' has no 'rope_type'.");
        if (type == "default") return null;
        return new RopeScaling(
            type,
            Num(rs, "factor", path) ?? throw Missing(path, "rope_scaling.factor"),
            Num(rs, "low_freq_factor", path) ?? 1.0,
            Num(rs, "high_freq_factor", path) ?? 4.0,
            Int(rs, "original_max_position_embeddings", path) ?? 8192);
    }

    private static LoraLabException Missing(string path, string field) =>
        new($"{path}: required field '{field}' is missing.");

    private static string? Str(JsonObject o, string key, string path)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw new LoraLabException($"{path}: '{key}' must be a string, got {n.ToJsonString()}.");
    }

    private static bool? Bool(JsonObject o, string key, string path)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw new LoraLabException($"{path}: '{key}' must be true or false, got {n.ToJsonString()}.");
    }

    private static int? Int(JsonObject o, string key, string path) => o[key] is null ? null : IntOf(o[key], key, path);

    private static int IntOf(JsonNode? n, string key, string path)
    {
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue)
            return (int)d;
        throw new LoraLabException($"{path}: '{key}' must be an integer, got {n?.ToJsonString() ?? "null"}.");
    }

    private static double? Num(JsonObject o, string key, string path)
    {
        var n = o[key];
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d)) return d;
        throw new LoraLabException($"{path}: '{key}' must be a number, got {n.ToJsonString()}.");
    }
}
