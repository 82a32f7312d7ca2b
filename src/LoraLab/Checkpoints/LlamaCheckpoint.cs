using System.Text.Json.Nodes;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Loads and saves Hugging Face Llama model directories: <c>config.json</c> + <c>model.safetensors</c>
/// (or shards with <c>model.safetensors.index.json</c>). Tensor names are the module's state-dict keys.
/// </summary>
public static class LlamaCheckpoint
{
    /// <summary>Default shard size when saving (Hugging Face's default is 5 GB).</summary>
    public const long DefaultMaxShardBytes = 5L * 1000 * 1000 * 1000;

    /// <summary>
    /// Loads a model directory. Weights are converted to <paramref name="dtype"/> (default float32, the CPU default;
    /// bfloat16 keeps memory low but is slow on CPUs without bf16 hardware).
    /// </summary>
    /// <param name="residualDropout">Dropout on attention and MLP outputs (full finetuning's regulariser; 0 for inference).</param>
    /// <param name="build">Builds the model from the config (default: a plain model), e.g. with adapters.</param>
    /// <param name="optional">Model keys the directory may lack (those parameters keep their built values).</param>
    public static LlamaForCausalLM Load(string dir, ScalarType dtype = ScalarType.Float32, double residualDropout = 0,
        Func<LlamaConfig, LlamaForCausalLM>? build = null, Func<string, bool>? optional = null)
    {
        if (!Directory.Exists(dir))
            throw new LoraLabException($"{dir}: model directory not found. Give a Hugging Face model directory (config.json + model.safetensors), e.g. " +
                "one written by 'loralab convert'.");
        var config = LlamaConfig.Load(Path.Combine(dir, "config.json")) with { ResidualDropout = residualDropout };
        using var weights = SafetensorsCheckpoint.Open(dir);
        ConfigWeightsCheck.Check(config, weights, Path.Combine(dir, "config.json")); // before anything is allocated
        var model = build?.Invoke(config) ?? new LlamaForCausalLM(config, dtype);
        try
        {
            StateDictLoader.Load(model, weights.TensorNames, n => weights.ReadTensor(n, dtype), weights.Path,
                ignore: n => IsIgnoredTensor(n, config),
                optional: optional, fileOf: weights.FileOf);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>
    /// Tensors a Hugging Face directory may hold that are not weights of the model <paramref name="config"/> builds: rotary
    /// inv_freq buffers (older transformers saved them) and lm_head.weight when the embeddings are tied.
    /// </summary>
    internal static bool IsIgnoredTensor(string name, LlamaConfig config) =>
        name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (config.TieWordEmbeddings && name == "lm_head.weight");

    /// <summary>
    /// Saves a plain model as a Hugging Face directory: config.json (torch_dtype = the saved dtype), generation_config.json
    /// and safetensors weights (sharded above <paramref name="maxShardBytes"/>). Every file is written atomically.
    /// A model with other layer types (LoRA) is refused: export its merged state dict through the overload below.
    /// </summary>
    public static void Save(LlamaForCausalLM model, string dir, ScalarType? saveDtype = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        foreach (var (name, module) in model.named_modules())
        {
            string ns = module.GetType().Namespace ?? "";
            if (ns != typeof(LlamaForCausalLM).Namespace && ns != typeof(TorchSharp.Modules.Linear).Namespace)
                throw new LoraLabException($"cannot save '{name}' ({module.GetType().Name}) as a plain Llama weight; "
                    + "export the model merged (LoraModel.SaveMerged) or save its adapter.");
        }
        using var scope = NewDisposeScope();
        Save(model.Config, model.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.detach())), dir,
            saveDtype ?? model.DType, maxShardBytes);
    }

    /// <summary>Saves <paramref name="tensors"/> (a plain Llama's state-dict keys) with <paramref name="config"/>, as above.</summary>
    public static void Save(LlamaConfig config, IEnumerable<KeyValuePair<string, Tensor>> tensors, string dir, ScalarType dtype,
        long maxShardBytes = DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var converted = tensors.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.to_type(dtype).contiguous())).ToList();
        SafetensorsCheckpoint.WriteSharded(dir, converted, maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
        (config with { TorchDtype = DtypeName(dtype) }).Save(Path.Combine(dir, "config.json"));
        var generation = new JsonObject { ["_from_model_config"] = true };
        if (config.BosTokenId is int b) generation["bos_token_id"] = b;
        if (config.EosTokenId is int e) generation["eos_token_id"] = e;
        AtomicFile.WriteAllText(Path.Combine(dir, "generation_config.json"), generation.ToJsonString(JsonFormats.Indented));
    }

    /// <summary>Hugging Face's name for a dtype ("float32", "bfloat16", "float16").</summary>
    public static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => throw new LoraLabException($"cannot save weights as {dtype}; use float32, bfloat16 or float16."),
    };

    /// <summary>Parses "fp32"/"float32", "bf16"/"bfloat16", "fp16"/"float16".</summary>
    public static ScalarType ParseDtype(string name) => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => ScalarType.Float32,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        "fp16" or "float16" or "half" => ScalarType.Float16,
        _ => throw new LoraLabException($"unknown dtype '{name}'; use fp32, bf16 or fp16."),
    };
}
