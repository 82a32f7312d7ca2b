namespace LoraLab.Evaluation;

/// <summary>
/// The study's forgetting score: the mean of HellaSwag, ARC-Challenge and WinoGrande accuracy. We use each task's
/// primary metric: acc_norm for HellaSwag and ARC-Challenge (length-normalised, as lm-eval reports them on its
/// leaderboards) and acc for WinoGrande (partial scoring has no length normalisation). The standard error combines
/// the three independent estimates: sqrt(se₁² + se₂² + se₃²) / 3.
/// </summary>
public static class ForgettingScore
{
    public static readonly IReadOnlyList<(string Task, string Metric)> Components =
        [("hellaswag", "acc_norm"), ("arc_challenge", "acc_norm"), ("winogrande", "acc")];

    public static MetricResult Compute(IEnumerable<EvalReport> reports)
    {
        var byTask = reports.ToDictionary(r => r.Task);
        var parts = new List<MetricResult>();
        foreach (var (task, metric) in Components)
        {
            if (!byTask.TryGetValue(task, out var report))
                throw new LoraLabException($"the forgetting score needs a '{task}' result; evaluate hellaswag, arc_challenge and winogrande");
            parts.Add(report.Metric(metric));
        }
        double mean = parts.Average(p => p.Value);
        double stderr = Math.Sqrt(parts.Sum(p => p.Stderr * p.Stderr)) / parts.Count;
        return new MetricResult("forgetting_score", mean, stderr, parts.Min(p => p.Count));
    }
}
