namespace LoraLab.Peft;

/// <summary>The seven Llama projections LoRA can adapt, and the presets "attention", "mlp" and "all".</summary>
public static class LoraTargets
{
    public static readonly IReadOnlyList<string> Attention = new[] { "q_proj", "k_proj", "v_proj", "o_proj" };

    public static readonly IReadOnlyList<string> Mlp = new[] { "gate_proj", "up_proj", "down_proj" };

    public static readonly IReadOnlyList<string> All = Attention.Concat(Mlp).ToArray();

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
                        throw new LoraLabException($"unknown LoRA target module '{name}'; use {string.Join(", ", All)} or a preset (attention, mlp, all).");
                    chosen.Add(name);
                    break;
            }
        }
        if (chosen.Count == 0) throw new LoraLabException("LoRA needs at least one target module (e.g. all, attention, q_proj).");
        return All.Where(chosen.Contains).ToArray();
    }
}
