using LoraLab.Analysis;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using static TorchSharp.torch;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// Intruder dimensions (<see cref="IntruderDimensions"/>, Shuttleworth et al.) of a model while it is finetuned: the
/// count over every layer's seven projections, each with the authors' k = 10 and ε = 0.5, of the finetuned weight W₀ + ΔW
/// (LoRA: W₀ + s·B·A) against the base weight W₀. The base weights' singular directions are computed once and kept
/// (float64) for the run.
/// </summary>
public sealed class DemoIntruders : IDisposable
{
    private readonly string baseDir;
    private readonly List<string> projections = new(); // "model.layers.{i}.{self_attn|mlp}.{module}"
    private readonly BaseDirectionCache baseDirections = new();

    public DemoIntruders(string baseDir)
    {
        this.baseDir = baseDir;
        foreach (var (layer, prefix, module) in SpectrumAnalysis.Enumerate(baseDirections.Base(baseDir)))
        {
            string path = $"model.layers.{layer}.{prefix}.{module}";
            projections.Add(path);
            baseDirections.For(baseDir, path); // every base SVD up front, outside the finetuning runs' timing
        }
    }

    /// <summary>Intruder dimensions of <paramref name="model"/> (plain or LoRA, merged or not) summed over its projections.</summary>
    public int Count(LlamaForCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var merged = LoraModel.MergedStateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value); // W₀ + s·B·A under plain keys
        int total = 0;
        foreach (string path in projections)
        {
            if (!merged.TryGetValue(path + ".weight", out var w1))
                throw new LoraLabException($"demo: the model has no projection '{path}' that its base model has; both must have one architecture.");
            total += IntruderDimensions.CountAgainst(baseDirections.For(baseDir, path), w1, IntruderDimensions.DefaultK,
                IntruderDimensions.DefaultEpsilon);
        }
        return total;
    }

    /// <summary>The number of projections counted (each contributes at most k intruders).</summary>
    public int Modules => projections.Count;

    public void Dispose() => baseDirections.Dispose();
}
