using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>Finds the LoRA layers of a model and tells adapter keys from base keys.</summary>
public static class LoraModules
{
    /// <summary>True for state-dict keys of adapter weights ("….lora_A.weight", "….lora_B.weight").</summary>
    public static bool IsLoraParameter(string name) => name.Contains(".lora_A.", StringComparison.Ordinal)
        || name.Contains(".lora_B.", StringComparison.Ordinal);

    /// <summary>Every LoRA layer with its module path ("model.layers.0.self_attn.q_proj").</summary>
    public static IReadOnlyList<(string Name, LoraLinear Layer)> Find(nn.Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module)).ToList();
}
