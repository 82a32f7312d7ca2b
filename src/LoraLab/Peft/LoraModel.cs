using LoraLab.Checkpoints;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// Builds Llama models with LoRA adapters (torchtune-style: the builder makes a <see cref="LoraLinear"/> for each
/// targeted projection, a plain linear for the rest) and loads or exports them. The model itself knows nothing of LoRA.
/// </summary>
public static class LoraModel
{
    /// <summary>
    /// A model whose targeted projections carry fresh adapters (A kaiming-uniform, B zero). Only the adapters train:
    /// every other parameter (embeddings, norms, base weights) is frozen. A null <paramref name="lora"/> builds a plain model.
    /// </summary>
    public static LlamaForCausalLM Create(LlamaConfig config, ScalarType dtype, LoraConfig? lora)
    {
        if (lora is null) return new LlamaForCausalLM(config, dtype);
        var model = new LlamaForCausalLM(config, dtype, Projections(lora));
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = LoraModules.IsLoraParameter(name);
        return model;
    }

    /// <summary>The projection factory that builds a <see cref="LoraLinear"/> for each projection <paramref name="lora"/> targets.</summary>
    public static ProjectionFactory Projections(LoraConfig lora) => (name, inFeatures, outFeatures, dtype) =>
        lora.Targets(name) ? new LoraLinear(inFeatures, outFeatures, lora, dtype) : LlamaProjections.Plain(name, inFeatures, outFeatures, dtype);

    /// <summary>The LoRA settings of a model built by <see cref="Create"/>, or null for a plain model.</summary>
    public static LoraConfig? ConfigOf(nn.Module model) => LoraModules.Find(model).FirstOrDefault().Layer?.Config;

    /// <summary>
    /// Loads a Hugging Face model directory with fresh adapters around its weights (null <paramref name="lora"/>: a plain
    /// model); see <see cref="LlamaCheckpoint.Load"/>.
    /// </summary>
    public static LlamaForCausalLM Load(string dir, ScalarType dtype, LoraConfig? lora, double residualDropout = 0) =>
        LlamaCheckpoint.Load(dir, dtype, residualDropout, c => Create(c, dtype, lora), LoraModules.IsLoraParameter);

    /// <summary>Loads a llama2.c checkpoint with fresh adapters (null <paramref name="lora"/>: a plain model).</summary>
    public static LlamaForCausalLM LoadLlama2c(string path, ScalarType dtype, LoraConfig? lora, double residualDropout = 0) =>
        Llama2cCheckpoint.LoadModel(path, dtype, residualDropout, c => Create(c, dtype, lora), LoraModules.IsLoraParameter);

    /// <summary>
    /// The model's state dict as a plain Llama has it: each adapted weight exported merged (W + s·B·A under the plain
    /// key), adapter keys dropped; the model itself is unchanged. Tensors are detached and live in the caller's scope.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> MergedStateDict(LlamaForCausalLM model)
    {
        var loraLayers = LoraModules.Find(model).ToDictionary(l => l.Name + ".weight", l => l.Layer);
        Tensor Export(string key, Tensor value) =>
            loraLayers.TryGetValue(key, out var layer) && !layer.Merged ? value.detach().add(layer.DeltaWeight(), Scalars.One) : value.detach();
        return model.state_dict()
            .Where(kv => !LoraModules.IsLoraParameter(kv.Key))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, Export(kv.Key, kv.Value)))
            .ToList();
    }

    /// <summary>Saves the model as a plain Hugging Face directory with every adapter merged (see <see cref="MergedStateDict"/>).</summary>
    public static void SaveMerged(LlamaForCausalLM model, string dir, ScalarType? saveDtype = null,
        long maxShardBytes = LlamaCheckpoint.DefaultMaxShardBytes)
    {
        using var scope = NewDisposeScope();
        LlamaCheckpoint.Save(model.Config, MergedStateDict(model), dir, saveDtype ?? model.DType, maxShardBytes);
    }
}
