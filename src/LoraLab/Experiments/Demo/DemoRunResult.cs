using LoraLab.Analysis;
using LoraLab.Evaluation;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>Everything measured for one finetuning run (one sweep point) of the demo.</summary>
public sealed record DemoRunResult
{
    public required string RunId { get; init; }
    public required string Method { get; init; }
    public int? Rank { get; init; }

    /// <summary>LoRA's target modules as a label (all, mlp, attention); "all" for full finetuning.</summary>
    public string Targets { get; init; } = "all";

    public required double LearningRate { get; init; }

    /// <summary>Full finetuning's weight decay (0: none).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Full finetuning's dropout (0: none).</summary>
    public double Dropout { get; init; }

    public long Seed { get; init; }
    public required string RunDir { get; init; }

    /// <summary>The base model's evaluation (step 0), then each checkpoint's in step order.</summary>
    public required IReadOnlyList<DemoMetrics> Evaluations { get; init; }

    public required IReadOnlyList<ModuleSpectrum> Spectrum { get; init; }
    public required DiversityResult Diversity { get; init; }
    public double Seconds { get; init; }

    /// <summary>The run as the report draws it (<see cref="RunRecord.Of"/>): written as its run_record.json.</summary>
    public required RunRecord Record { get; init; }

    public DemoMetrics Final => Evaluations[^1];

    public bool IsLora => Method == "lora";

    /// <summary>Full finetuning with neither weight decay nor dropout, or LoRA.</summary>
    public bool IsPlain => WeightDecay == 0 && Dropout == 0;

    /// <summary>Rise of the source-domain loss over the base model's at the end of training (forgetting, nats/token).</summary>
    public double Forgetting => Final.SourceLoss - Evaluations[0].SourceLoss;

    public string Label => IsLora
        ? $"LoRA r={Rank} {Targets}, lr {Lr}"
        : $"Full{(WeightDecay > 0 ? $" wd {WeightDecay:G2}" : "")}{(Dropout > 0 ? $" dropout {Dropout:G2}" : "")}, lr {Lr}";

    private string Lr => ReportFormat.LearningRate(LearningRate);

    /// <summary>Mean rank needed for 90% of ΔW's variance, over layers and modules.</summary>
    public double MeanDeltaRank => Spectrum.Count == 0 ? double.NaN : Spectrum.Average(s => s.DeltaRank);

    /// <summary>Mean rank for 90% of the variance of random matrices of the same shapes.</summary>
    public double MeanRandomRank => Spectrum.Count == 0 ? double.NaN : Spectrum.Average(s => s.RandomRank);
}
