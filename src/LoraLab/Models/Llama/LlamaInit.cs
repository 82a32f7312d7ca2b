using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// Transformers' initialisation of a fresh Llama (<c>LlamaPreTrainedModel._init_weights</c>): every linear and
/// embedding weight ~ N(0, <see cref="LlamaConfig.InitializerRange"/>), linear biases 0, the embedding row of
/// <c>pad_token_id</c> 0 (transformers builds embed_tokens with padding_idx = pad_token_id), every RMSNorm weight 1.
/// Loaded checkpoints overwrite all of it; from-scratch models (the demo, the benchmark) start here.
/// </summary>
public static class LlamaInit
{
    /// <summary>
    /// Initialises <paramref name="model"/> in place. Parameters whose name contains "lora_" belong to LoRA adapters,
    /// which keep their own init (A Kaiming-uniform, B zero); a LoRA-wrapped projection's base weight is initialised.
    /// </summary>
    /// <param name="generator">Random source; null uses TorchSharp's global generator.</param>
    public static void Apply(LlamaForCausalLM model, Generator? generator = null)
    {
        using var noGrad = no_grad();
        double std = model.Config.InitializerRange;
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("lora_", StringComparison.Ordinal)) continue;
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(Scalars.One);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std, generator);
        }
        if (model.Config.PadTokenId is int pad) model.Model.EmbedTokens.weight![pad].zero_();
    }
}
