using System.Text.Json.Nodes;
using static LoraLab.Models.Llama.ConfigJsonValues;

namespace LoraLab.Models.Llama;

/// <summary>
/// Maps <see cref="LlamaConfig"/> to and from Hugging Face's <c>config.json</c>, in transformers 4 and 5 dialects
/// (docs/CONFIG.md). Every key of transformers' LlamaConfig that changes the forward is either applied or refused
/// here naming the key and value; keys that do not change the math (use_cache, transformers_version, …) are ignored.
/// </summary>
internal static class LlamaConfigJson
{
    private static readonly string[] LlamaModelTypes = { "llama" };

    // ACT2FN in transformers maps both names to SiLU.
    private static readonly string[] SiluNames = { "silu", "swish" };

    public static LlamaConfig FromJson(JsonObject o, string path)
    {
        CheckArchitecture(o, path);
        CheckForwardKeys(o, path);
        int hidden = Int(o, "hidden_size", path) ?? throw Missing(path, "hidden_size");
        int heads = Int(o, "num_attention_heads", path) ?? throw Missing(path, "num_attention_heads");
        int layers = Int(o, "num_hidden_layers", path) ?? throw Missing(path, "num_hidden_layers");
        CheckLayerTypes(o, layers, path);
        int maxPositions = Int(o, "max_position_embeddings", path) ?? 2048;
        var (theta, scaling) = RopeConfigJson.Read(o, maxPositions, path);
        var (eos, extraEos) = ReadEos(o, path);
        return new LlamaConfig
        {
            HiddenSize = hidden,
            IntermediateSize = Int(o, "intermediate_size", path) ?? throw Missing(path, "intermediate_size"),
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int(o, "num_key_value_heads", path) ?? heads,
            HeadDim = Int(o, "head_dim", path) ?? (heads > 0 ? hidden / heads : 0),
            RmsNormEps = Num(o, "rms_norm_eps", path) ?? 1e-6,
            RopeTheta = theta,
            RopeScaling = scaling,
            MaxPositionEmbeddings = maxPositions,
            VocabSize = Int(o, "vocab_size", path) ?? throw Missing(path, "vocab_size"),
            TieWordEmbeddings = Bool(o, "tie_word_embeddings", path) ?? false,
            BosTokenId = o.ContainsKey("bos_token_id") ? Int(o, "bos_token_id", path) : 1,
            EosTokenId = o.ContainsKey("eos_token_id") ? eos : 2,
            ExtraEosTokenIds = extraEos,
            PadTokenId = Int(o, "pad_token_id", path),
            TorchDtype = ReadDtype(o, path),
            AttentionDropout = Num(o, "attention_dropout", path) ?? 0.0,
            InitializerRange = Num(o, "initializer_range", path) ?? 0.02,
        };
    }

    /// <summary>Writes keys that transformers 4.4x and 5.x both read to the same model (docs/CONFIG.md).</summary>
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
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["vocab_size"] = c.VocabSize,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["attention_dropout"] = c.AttentionDropout,
            ["initializer_range"] = c.InitializerRange,
            ["pretraining_tp"] = 1,
            ["use_cache"] = true,
            ["torch_dtype"] = c.TorchDtype, // transformers 4 (5 reads it when 'dtype' is absent)
            ["dtype"] = c.TorchDtype, // transformers 5 (and 4.56+)
        };
        RopeConfigJson.Write(o, c.RopeTheta, c.RopeScaling);
        if (c.BosTokenId is int b) o["bos_token_id"] = b;
        if (c.ExtraEosTokenIds.Count > 0)
            o["eos_token_id"] = new JsonArray(c.AllEosTokenIds.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        else if (c.EosTokenId is int e) o["eos_token_id"] = e;
        if (c.PadTokenId is int p) o["pad_token_id"] = p;
        return o;
    }

    private static void CheckArchitecture(JsonObject o, string path)
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
    }

    /// <summary>Keys of transformers' LlamaConfig (and neighbours) that would change the forward: applied or refused.</summary>
    private static void CheckForwardKeys(JsonObject o, string path)
    {
        foreach (string key in new[] { "attention_bias", "mlp_bias" })
        {
            if (Bool(o, key, path) == true)
                throw new LoraLabException($"{path}: '{key}' true is not supported (LoraLab's Llama projections have no bias); it must be false or absent.");
        }
        string? act = Str(o, "hidden_act", path);
        if (act is not null && !SiluNames.Contains(act))
            throw new LoraLabException($"{path}: 'hidden_act' \"{act}\" is not supported; Llama's MLP uses \"silu\".");
        if (o["quantization_config"] is not null)
            throw new LoraLabException(
                $"{path}: 'quantization_config' is set: quantized weights are not supported; use an unquantized (fp32/bf16/fp16) checkpoint.");
        int? tp = Int(o, "pretraining_tp", path);
        if (tp is < 1)
            throw new LoraLabException($"{path}: 'pretraining_tp' must be a positive integer, got {tp}.");
        // pretraining_tp > 1 only splits transformers' matmuls into slices whose results are concatenated or summed:
        // the same function up to float summation order, so it is accepted.
        double? dropout = Num(o, "attention_dropout", path);
        if (dropout is < 0 or >= 1)
            throw new LoraLabException($"{path}: 'attention_dropout' must be in [0, 1), got {dropout}.");
        bool? useWindow = Bool(o, "use_sliding_window", path);
        int? window = Int(o, "sliding_window", path);
        if (useWindow == true)
            throw new LoraLabException($"{path}: 'use_sliding_window' true is not supported; LoraLab's Llama attends to every earlier position.");
        if (window is int w && useWindow != false)
            throw new LoraLabException(
                $"{path}: 'sliding_window' {w} is not supported (transformers' Llama ignores it, but weights trained with a window expect it); "
                + "set it to null or set 'use_sliding_window' false.");
    }

    private static void CheckLayerTypes(JsonObject o, int layers, string path)
    {
        var node = o["layer_types"];
        if (node is null) return;
        if (node is not JsonArray types)
            throw new LoraLabException($"{path}: 'layer_types' must be a list, got {node.ToJsonString()}.");
        if (types.Count != layers)
            throw new LoraLabException($"{path}: 'layer_types' has {types.Count} entries but 'num_hidden_layers' is {layers}.");
        foreach (var t in types)
        {
            string? s = t is JsonValue v && v.TryGetValue(out string? str) ? str : null;
            if (s != "full_attention")
                throw new LoraLabException(
                    $"{path}: 'layer_types' entry {t?.ToJsonString() ?? "null"} is not supported; LoraLab's Llama has only \"full_attention\" layers.");
        }
    }

    /// <summary>transformers 5 reads 'dtype' and falls back to the legacy 'torch_dtype'; 4 reads 'torch_dtype'.</summary>
    private static string ReadDtype(JsonObject o, string path)
    {
        string? dtype = Str(o, "dtype", path);
        string? legacy = Str(o, "torch_dtype", path);
        if (dtype is not null && legacy is not null && dtype != legacy)
            throw new LoraLabException(
                $"{path}: 'dtype' \"{dtype}\" and 'torch_dtype' \"{legacy}\" disagree; transformers 5 reads the first, 4 the second. Make them equal.");
        return dtype ?? legacy ?? "float32";
    }

    private static (int? Eos, List<int> Extra) ReadEos(JsonObject o, string path)
    {
        int? eos = null;
        var extra = new List<int>();
        switch (o["eos_token_id"])
        {
            case JsonArray arr:
                foreach (var n in arr)
                {
                    int v = IntOf(n, "eos_token_id", path);
                    if (eos is null) eos = v;
                    else extra.Add(v);
                }
                break;
            case null: break;
            default: eos = Int(o, "eos_token_id", path); break;
        }
        return (eos, extra);
    }
}
