using System.Text.Json.Nodes;
using LoraLab.Models.Llama;
using LoraLab.Peft;
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
    /// <param name="lora">Build the model with these LoRA adapters (fresh: A random, B zero) around the loaded base weights.</param>
    /// <param name="residualDropout">Dropout on attention and MLP outputs (full finetuning's regulariser; 0 for inference).</param>
    public static LlamaForCausalLM Load(string dir, ScalarType dtype = ScalarType.Float32, LoraConfig? lora = null, double residualDropout = 0)
    {
        if (!Directory.Exists(dir))
            throw new LoraLabException($"{dir}: model directory not found. Give a Hugging Face model directory (config.json + model.safetensors), e.g. one written by 'loralab convert'.");
        var config = LlamaConfig.Load(Path.Combine(dir, "config.json")) with { ResidualDropout = residualDropout };
        using var weights = SafetensorsCheckpoint.Open(dir);
        var model = new LlamaForCausalLM(config, dtype, lora);
        try
        {
            StateDictLoader.Load(model, weights.TensorNames, n => weights.ReadTensor(n, dtype), weights.Path,
                ignore: n => n.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (config.TieWordEmbeddings && n == "lm_head.weight"),
                optional: LoraModules.IsLoraParameter);
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
    /// Saves the model as a Hugging Face directory: config.json (torch_dtype = the saved dtype), generation_config.json
    /// and safetensors weights (sharded above <paramref name="maxShardBytes"/>). Every file is written atomically.
    /// A LoRA model is exported merged (W + s·B·A under the plain keys, no adapter keys), without changing the model.
    /// </summary>
    public static void Save(LlamaForCausalLM model, string dir, ScalarType? saveDtype = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(dir);
        var dtype = saveDtype ?? model.DType;
        using var scope = NewDisposeScope();
        var loraLayers = LoraModules.Find(model).ToDictionary(l => l.Name + ".weight", l => l.Layer);
        Tensor Export(string key, Tensor value) =>
            loraLayers.TryGetValue(key, out var layer) && !layer.Merged ? value.detach() + layer.DeltaWeight() : value.detach();
        var tensors = model.state_dict()
            .Where(kv => !LoraModules.IsLoraParameter(kv.Key))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, Export(kv.Key, kv.Value).to_type(dtype).contiguous()))
            .ToList();
        SafetensorsCheckpoint.WriteSharded(dir, tensors, maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
        (model.Config with { TorchDtype = DtypeName(dtype) }).Save(Path.Combine(dir, "config.json"));
        var generation = new JsonObject { ["_from_model_config"] = true };
        if (model.Config.BosTokenId is int b) generation["bos_token_id"] = b;
        if (model.Config.EosTokenId is int e) generation["eos_token_id"] = e;
        AtomicFile.WriteAllText(Path.Combine(dir, "generation_config.json"), generation.ToJsonString(new() { WriteIndented = true }));
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
