using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's file format: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c> with
/// keys "base_model.model.{module path}.lora_A.weight" (adapter name stripped), so adapters move between PEFT and LoraLab.
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    /// <summary>Writes the model's adapters (config + weights), each file atomically.</summary>
    public static void Save(LlamaForCausalLM model, string dir, string baseModelNameOrPath)
    {
        var lora = LoraModel.ConfigOf(model) ?? throw new LoraLabException("this model has no LoRA adapters to save; build it with a LoRA config.");
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, layer) in LoraModules.Find(model))
        {
            if (layer.Merged) throw new LoraLabException($"adapter '{name}' is merged into the base weight; unmerge before saving the adapter.");
            tensors.Add(new(FileKey(name, "lora_A"), layer.LoraA.detach().contiguous()));
            tensors.Add(new(FileKey(name, "lora_B"), layer.LoraB.detach().contiguous()));
        }
        SafetensorsWriter.Write(Path.Combine(dir, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = lora.R,
            ["lora_alpha"] = lora.Alpha,
            ["lora_dropout"] = lora.Dropout,
            ["target_modules"] = new JsonArray(lora.TargetModules.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["bias"] = "none",
            ["use_rslora"] = lora.UseRslora,
            ["use_dora"] = false,
            ["fan_in_fan_out"] = false,
            ["init_lora_weights"] = true,
            ["inference_mode"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["revision"] = null,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJsonString(JsonFormats.Indented));
    }

    /// <summary>Reads and validates <c>adapter_config.json</c>; refuses PEFT features LoraLab does not implement.</summary>
    public static (LoraConfig Config, string? BaseModel) ReadConfig(string dir)
    {
        string path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new LoraLabException($"{path}: not found; a PEFT adapter directory holds {ConfigFile} and {WeightsFile}.");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new LoraLabException($"{path}: expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path}: not valid JSON ({e.Message}).");
        }
        string? Get(string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        bool Flag(string key) => o[key] is JsonValue v && v.TryGetValue(out bool b) && b;
        if (Get("peft_type") is string pt && pt != "LORA") throw new LoraLabException($"{path}: 'peft_type' is \"{pt}\"; only LORA adapters are supported.");
        if (Get("bias") is string bias && bias != "none") throw new LoraLabException($"{path}: 'bias' \"{bias}\" is not supported; LoraLab adapters " +
            "use bias \"none\".");
        if (Flag("use_dora")) throw new LoraLabException($"{path}: 'use_dora' true (DoRA) is not supported.");
        if (Flag("fan_in_fan_out")) throw new LoraLabException($"{path}: 'fan_in_fan_out' true is for GPT-2-style Conv1D layers, not Llama.");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern" })
            if (o[key] is JsonObject pat && pat.Count > 0) throw new LoraLabException($"{path}: '{key}' (per-module ranks/alphas) is not supported; " +
                "use one r and lora_alpha.");
        // keys that add weights or narrow where the adapter applies: any value but null, [] or "" is refused
        foreach (var key in new[] { "modules_to_save", "layers_to_transform", "exclude_modules", "target_parameters", "layer_replication" })
            if (o[key] is JsonNode v && v is not JsonArray { Count: 0 } && !(v is JsonValue sv && sv.TryGetValue(out string? text) && text.Length == 0))
                throw new LoraLabException($"{path}: '{key}' ({v.ToJsonString()}) is not supported; LoraLab applies an adapter to its " +
                    "target_modules in every layer.");
        if (Flag("lora_bias")) throw new LoraLabException($"{path}: 'lora_bias' true (a trainable bias on lora_B) is not supported.");
        int r = o["r"] is JsonValue rv && rv.TryGetValue(out int ri) ? ri : throw new LoraLabException($"{path}: 'r' must be an integer.");
        double alpha = o["lora_alpha"] is JsonValue av && av.TryGetValue(out double ad) ? ad : 8; // PEFT's default lora_alpha
        double dropout = o["lora_dropout"] is JsonValue dv && dv.TryGetValue(out double dd) ? dd : 0.0;
        var targets = PeftTargetModules.Resolve(o["target_modules"], path);
        var config = new LoraConfig(r, targets, alpha, dropout, Flag("use_rslora"));
        return (config, Get("base_model_name_or_path"));
    }

    /// <summary>Loads adapter weights into a model built with the adapter's config; every adapter tensor must match.</summary>
    public static void LoadWeights(LlamaForCausalLM model, string dir)
    {
        string path = Path.Combine(dir, WeightsFile);
        if (!File.Exists(path))
        {
            string hint = File.Exists(Path.Combine(dir, "adapter_model.bin")) ? " (only a pickled adapter_model.bin is there: re-save it with " +
                "safe_serialization=True)" : "";
            throw new LoraLabException($"{path}: not found{hint}.");
        }
        using var reader = SafetensorsReader.Open(path);
        var byModelKey = new Dictionary<string, string>();
        foreach (var info in reader.Tensors)
        {
            string key = ModelKey(info.Name);
            if (!LoraModules.IsLoraParameter(key)) throw new LoraLabException($"{path}: tensor '{info.Name}' is not a LoRA A/B weight.");
            byModelKey[key] = info.Name;
        }
        StateDictLoader.Load(model, byModelKey.Keys, k => reader.ReadTensor(byModelKey[k], model.DType), path,
            optional: k => !LoraModules.IsLoraParameter(k));
    }

    /// <summary>The file key of an adapter weight: "base_model.model.{module path}.{lora_A|lora_B}.weight".</summary>
    public static string FileKey(string modulePath, string part) => $"{KeyPrefix}{modulePath}.{part}.weight";

    /// <summary>The model's state-dict key of a file key: the "base_model.model." prefix and PEFT's adapter name "default" dropped.</summary>
    public static string ModelKey(string fileKey)
    {
        string key = fileKey.StartsWith(KeyPrefix, StringComparison.Ordinal) ? fileKey[KeyPrefix.Length..] : fileKey;
        return key.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B.");
    }

    /// <summary>Loads a base model directory and applies the adapter in <paramref name="adapterDir"/> (unmerged).</summary>
    public static LlamaForCausalLM LoadWithBase(string baseDir, string adapterDir, ScalarType dtype = ScalarType.Float32)
    {
        var (config, _) = ReadConfig(adapterDir);
        var model = LoraModel.Load(baseDir, dtype, config);
        try
        {
            LoadWeights(model, adapterDir);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }
}
