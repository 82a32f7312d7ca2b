using LoraLab.Peft;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>Builds a bias-free projection: a <see cref="LoraLinear"/> when LoRA targets it by name, else a plain linear.</summary>
internal static class Projection
{
    public static nn.Module<Tensor, Tensor> Create(long inFeatures, long outFeatures, string name, ScalarType dtype, LoraConfig? lora) =>
        lora is not null && lora.Targets(name)
            ? new LoraLinear(inFeatures, outFeatures, lora, dtype)
            : nn.Linear(inFeatures, outFeatures, hasBias: false, dtype: dtype);
}
