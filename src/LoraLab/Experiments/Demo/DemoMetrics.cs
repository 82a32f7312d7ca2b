namespace LoraLab.Experiments.Demo;

/// <summary>
/// One evaluation of a demo model after <paramref name="Step"/> finetuning steps and <paramref name="TokensSeen"/> tokens.
/// Learning: target (arithmetic) answer loss per token and multiple-choice accuracy. Forgetting: source (stories)
/// held-out loss per token and cloze accuracy on world facts (NaN without a cloze test).
/// </summary>
public sealed record DemoMetrics(long Step, long TokensSeen, double TargetLoss, double TargetAccuracy, double SourceLoss, double ClozeAccuracy)
{
    /// <summary>Intruder dimensions of the model against the base (<see cref="DemoIntruders"/>); null where not measured.</summary>
    public int? Intruders { get; init; }
}
