using LoraLab.Analysis;
using LoraLab.Evaluation;

namespace LoraLab.Experiments.Demo;

/// <summary>Everything measured for one finetuning run of the demo.</summary>
public sealed record DemoRunResult
{
    public required string RunId { get; init; }
    public required string Method { get; init; }
    public int? Rank { get; init; }
    public required double LearningRate { get; init; }
    public required string RunDir { get; init; }
    public required IReadOnlyList<DemoMetrics> Evaluations { get; init; }
    public required IReadOnlyList<(long Step, double Loss)> TrainingLoss { get; init; }
    public required IReadOnlyList<ModuleSpectrum> Spectrum { get; init; }
    public required DiversityResult Diversity { get; init; }
    public double Seconds { get; init; }

    public DemoMetrics Final => Evaluations[^1];

    public bool IsLora => Method == "lora";

    public string Label => IsLora ? $"LoRA r={Rank}, lr {LearningRate:G2}" : $"Full, lr {LearningRate:G2}";

    /// <summary>Mean rank needed for 90% of ΔW's variance, over layers and modules.</summary>
    public double MeanDeltaRank => Spectrum.Count == 0 ? double.NaN : Spectrum.Average(s => s.DeltaRank);
}
