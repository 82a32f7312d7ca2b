using LoraLab.Analysis;
using System.Text.Json.Serialization;
using LoraLab.Training.Config;

namespace LoraLab.Reports;

/// <summary>
/// One training run of the study: its settings, its evaluated checkpoints, its training-loss curve and, optionally,
/// the spectrum of its weight changes. Plain data, serialisable with System.Text.Json; check with <see cref="ReportValidator"/>.
/// </summary>
public sealed record RunRecord
{
    public required string RunId { get; init; }

    /// <summary>"lora" or "full".</summary>
    public required string Method { get; init; }

    /// <summary>LoRA rank; null for full finetuning.</summary>
    public int? Rank { get; init; }

    public required double LearningRate { get; init; }

    /// <summary>LoRA's <c>target_modules</c> as the run config gives them (PEFT names or presets), joined by ',':
    /// e.g. "all" or "q_proj,v_proj"; "all" for full finetuning.</summary>
    public string TargetModules { get; init; } = "";

    /// <summary>"cpt" (continued pretraining) or "ift" (instruction finetuning).</summary>
    public required string Regime { get; init; }

    public long Seed { get; init; }

    public IReadOnlyList<CheckpointPoint> Checkpoints { get; init; } = [];

    public IReadOnlyList<LossPoint> TrainingLoss { get; init; } = [];

    /// <summary>Per-module ΔW spectrum summary, if computed.</summary>
    public IReadOnlyList<ModuleSpectrum>? Spectrum { get; init; }

    [JsonIgnore]
    public bool IsLora => Method == "lora";

    /// <summary>
    /// The one way a run record is built from a trained run: its settings (method, rank, learning rate, target modules,
    /// regime, seed) read from the run's <paramref name="config"/>, its measurements from the caller.
    /// </summary>
    public static RunRecord Of(string runId, RunConfig config, IReadOnlyList<CheckpointPoint> checkpoints,
        IReadOnlyList<LossPoint> trainingLoss, IReadOnlyList<ModuleSpectrum>? spectrum = null)
    {
        bool lora = config.Method == FinetuneMethod.Lora;
        return new RunRecord
        {
            RunId = runId,
            Method = lora ? "lora" : "full",
            Rank = lora ? config.Lora.R : null,
            LearningRate = config.Optimizer.Lr,
            TargetModules = lora ? string.Join(",", config.Lora.TargetModules) : "all",
            Regime = config.Data.Regime == DataRegime.Ift ? "ift" : "cpt", // cpt, or no regime given
            Seed = config.Seed,
            Checkpoints = checkpoints,
            TrainingLoss = trainingLoss,
            Spectrum = spectrum,
        };
    }

    /// <summary>Display name of the run's method and rank: "Full" or "LoRA r=16".</summary>
    [JsonIgnore]
    public string MethodLabel => IsLora ? $"LoRA r={Rank}" : "Full";

    /// <summary>The last checkpoint by step, or null if none was evaluated.</summary>
    [JsonIgnore]
    public CheckpointPoint? Final => Checkpoints.Count == 0 ? null : Checkpoints.MaxBy(c => c.Step);
}
