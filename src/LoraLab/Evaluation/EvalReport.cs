namespace LoraLab.Evaluation;

/// <summary>The result of evaluating one task: aggregated metrics and the per-sample log.</summary>
public sealed record EvalReport(
    string Task,
    int NumFewShot,
    int? Limit,
    int Seed,
    string PrimaryMetric,
    IReadOnlyList<MetricResult> Metrics,
    IReadOnlyList<SampleLog> Samples)
{
    /// <summary>The named metric; throws if the task does not produce it.</summary>
    public MetricResult Metric(string name) =>
        Metrics.FirstOrDefault(m => m.Name == name)
        ?? throw new LoraLabException($"task '{Task}' has no metric '{name}' (it has {string.Join(", ", Metrics.Select(m => m.Name))})");
}
