using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Experiments;

/// <summary>
/// One expanded grid point: its 0-based <see cref="Index"/> in the plan (what <c>sweep run --index</c> takes), its id
/// (the run directory's name), the grid overrides and the resulting run config, plus the headline settings read back
/// from that config (so they hold the base's value for axes not on the grid).
/// </summary>
public sealed class SweepPoint
{
    public required int Index { get; init; }

    /// <summary>e.g. <c>lora-r16-all-lr2e-04-dur20ba-s0</c> or <c>full-lr1e-05-dur20ba-s0</c>; see <see cref="PointIds"/>.</summary>
    public required string Id { get; init; }

    public required string SweepName { get; init; }

    public required FinetuneMethod Method { get; init; }

    /// <summary>The LoRA rank; null for a full finetune.</summary>
    public int? Rank { get; init; }

    /// <summary>The LoRA targets as a label (all, attention, mlp, or e.g. q+v); null for a full finetune.</summary>
    public string? Targets { get; init; }

    /// <summary>The LoRA target modules with presets expanded; null for a full finetune.</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }

    public required double LearningRate { get; init; }

    public required Duration MaxDuration { get; init; }

    public required long Seed { get; init; }

    /// <summary>The grid's overrides for this point, <c>key=value</c> in axis order (lora.* dropped for a full finetune).</summary>
    public required IReadOnlyList<string> Overrides { get; init; }

    /// <summary>The run directory: <c>run_root/Id</c>.</summary>
    public required string RunDir { get; init; }

    /// <summary>The run config: the base with <see cref="Overrides"/> applied and save_folder = <c>RunDir/checkpoints</c>.</summary>
    public required RunConfig Config { get; init; }

    /// <summary>Every override that produces <see cref="Config"/> from the base, save_folder included (to reload it).</summary>
    public IReadOnlyList<string> ConfigOverrides => [.. Overrides, "save_folder=" + Config.SaveFolder];

    public required SweepEval Eval { get; init; }

    /// <summary>Where the sweep runner writes this point's result: <c>RunDir/result.json</c>.</summary>
    public string ResultPath => Path.Combine(RunDir, SweepResultFile.FileName);
}
