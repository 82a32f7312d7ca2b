namespace LoraLab.Reports;

/// <summary>
/// The results table as plain (unescaped) strings, shared by the HTML and Markdown reports: one row per run with its
/// settings and the scores of its last checkpoint. Optional columns appear only when some run has the data.
/// </summary>
public sealed record ResultsTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    public static ResultsTable Build(ReportData data)
    {
        bool diversity = data.Runs.Any(r => DiversityPlot.FinalDiversity(r).HasValue);
        bool spectrum = data.Runs.Any(r => r.Spectrum is { Count: > 0 });
        var onFront = FrontierRuns(data);

        var header = new List<string> { "run", "method", "rank", "lr", "targets", "regime", "seed", "steps", "tokens",
            $"final {data.Target.Name}", $"final {data.Forgetting.Name}" };
        if (diversity) header.Add(data.DiversityName);
        if (spectrum) header.AddRange(["ΔW rank 90% (mean)", "random baseline (mean)"]);
        header.Add("on frontier");

        var rows = new List<IReadOnlyList<string>>();
        foreach (var run in data.Runs)
        {
            var final = run.Final;
            var row = new List<string>
            {
                run.RunId, run.Method, run.Rank is { } r ? ReportFormat.Integer(r) : "–", ReportFormat.LearningRate(run.LearningRate),
                run.TargetModules, run.Regime, ReportFormat.Integer(run.Seed),
                final is null ? "–" : ReportFormat.Integer(final.Step), final is null ? "–" : ReportFormat.Tokens(final.TokensSeen),
                ReportFormat.Score(final?.Target), ReportFormat.Score(final?.Forgetting),
            };
            if (diversity) row.Add(ReportFormat.Score(DiversityPlot.FinalDiversity(run)));
            if (spectrum)
            {
                bool has = run.Spectrum is { Count: > 0 };
                row.Add(has ? ReportFormat.Score(run.Spectrum!.Average(s => (double)s.DeltaRank)) : "–");
                row.Add(has ? ReportFormat.Score(run.Spectrum!.Average(s => (double)s.RandomRank)) : "–");
            }
            row.Add(onFront.TryGetValue(run.RunId, out int n) ? $"{n} of {run.Checkpoints.Count}" : "no");
            rows.Add(row);
        }
        return new ResultsTable(header, rows);
    }

    /// <summary>For each run with a checkpoint on the frontier over all checkpoints, how many of its checkpoints are on it.</summary>
    public static IReadOnlyDictionary<string, int> FrontierRuns(ReportData data)
    {
        var owners = new List<string>();
        var points = new List<(double X, double Y)>();
        foreach (var run in data.Runs)
            foreach (var c in run.Checkpoints)
            {
                owners.Add(run.RunId);
                points.Add((c.Target, c.Forgetting));
            }
        return ParetoFrontier.Indices(points, data.Target.HigherIsBetter, data.Forgetting.HigherIsBetter)
            .GroupBy(i => owners[i]).ToDictionary(g => g.Key, g => g.Count());
    }
}
