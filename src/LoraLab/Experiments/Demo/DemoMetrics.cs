namespace LoraLab.Experiments.Demo;

/// <summary>
/// One evaluation of a demo model. Learning: target (arithmetic) answer loss per token and multiple-choice accuracy.
/// Forgetting: source (stories) held-out loss per token and cloze accuracy on world facts.
/// </summary>
public sealed record DemoMetrics(long Step, double TargetLoss, double TargetAccuracy, double SourceLoss, double ClozeAccuracy);
