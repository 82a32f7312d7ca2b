using LoraLab.Models.Llama;

namespace LoraLab.Peft;

/// <summary>The seven Llama projections LoRA can adapt, and the presets "attention", "mlp" and "all" (alias "all-linear").</summary>
public static class LoraTargets
{
    public static IReadOnlyList<string> Attention => LlamaProjections.Attention;

    public static IReadOnlyList<string> Mlp => LlamaProjections.Mlp;

    public static IReadOnlyList<string> All => LlamaProjections.All;

    /// <summary>The presets, each standing for a group of projections ("all-linear" is PEFT's name for "all").</summary>
    public static readonly IReadOnlyList<string> Presets = ["attention", "mlp", "all", "all-linear"];

    /// <summary>True for a projection name or a preset.</summary>
    public static bool IsKnown(string name) => All.Contains(name.Trim()) || Presets.Contains(name.Trim());

    /// <summary>Expands presets and checks names; returns the distinct names in canonical order.</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> names)
    {
        var chosen = new HashSet<string>();
        foreach (var raw in names)
        {
            string name = raw.Trim();
            switch (name)
            {
                case "attention": chosen.UnionWith(Attention); break;
                case "mlp": chosen.UnionWith(Mlp); break;
                case "all" or "all-linear": chosen.UnionWith(All); break;
                default:
                    if (!All.Contains(name))
                        throw new LoraLabException(
                            $"unknown LoRA target module '{name}'; use {string.Join(", ", All)} or a preset ({string.Join(", ", Presets)}).");
                    chosen.Add(name);
                    break;
            }
        }
        if (chosen.Count == 0) throw new LoraLabException("LoRA needs at least one target module (e.g. all, attention, q_proj).");
        return All.Where(chosen.Contains).ToArray();
    }
}
