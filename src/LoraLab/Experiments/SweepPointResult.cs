namespace LoraLab.Experiments;

/// <summary>
/// What an <see cref="ISweepPointRunner"/> reports for one point: its status, the headline numbers the index keeps in
/// columns (final train loss, target-domain score, forgetting score), any other metrics, and paths of what it wrote
/// (checkpoint, eval reports; relative to the run directory or absolute).
/// </summary>
public sealed record SweepPointResult
{
    public SweepPointStatus Status { get; init; } = SweepPointStatus.Ok;

    /// <summary>Why it failed (one line); null when ok.</summary>
    public string? Error { get; init; }

    public double? FinalTrainLoss { get; init; }

    /// <summary>The score on the target domain (what finetuning should improve), e.g. GSM8K accuracy or HumanEval pass@1.</summary>
    public double? TargetScore { get; init; }

    /// <summary>The forgetting score (source-domain degradation, see <c>LoraLab.Evaluation.ForgettingScore</c>).</summary>
    public double? ForgettingScore { get; init; }

    /// <summary>Any further metrics by name (e.g. "arc_challenge/acc_norm").</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Files the run produced by role (e.g. "checkpoint", "eval_report").</summary>
    public IReadOnlyDictionary<string, string> Paths { get; init; } = new Dictionary<string, string>();

    public static SweepPointResult Failed(string error) => new() { Status = SweepPointStatus.Failed, Error = error };
}
