namespace LoraLab.Reports;

/// <summary>
/// Checks a <see cref="ReportData"/> before it is rendered, so a bad results file fails with a message naming the
/// field (runs[2].checkpoints[0].target) instead of drawing a wrong plot.
/// </summary>
public static class ReportValidator
{
    /// <summary>Throws <see cref="LoraLabException"/> naming <paramref name="source"/> and the field on the first problem.</summary>
    public static void Validate(ReportData data, string source = "report data")
    {
        void Fail(string field, string problem) => throw new LoraLabException($"{source}: {field}: {problem}");

        if (data is null) throw new LoraLabException($"{source}: no report data; write a JSON object with title, target, forgetting and runs.");
        if (string.IsNullOrWhiteSpace(data.Title)) Fail("title", "is empty; give the report a title.");
        CheckMetric(data.Target, "target", Fail);
        CheckMetric(data.Forgetting, "forgetting", Fail);
        if (data.Runs is null || data.Runs.Count == 0) Fail("runs", "no runs; add at least one run record.");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int r = 0; r < data.Runs!.Count; r++)
        {
            var run = data.Runs[r];
            string at = $"runs[{r}]";
            if (run is null) { Fail(at, "is null; remove it or fill it in."); continue; }
            if (string.IsNullOrWhiteSpace(run.RunId)) Fail($"{at}.run_id", "is empty; give every run a unique id.");
            if (!ids.Add(run.RunId)) Fail($"{at}.run_id", $"'{run.RunId}' appears twice; run ids must be unique.");
            CheckRun(run, at, Fail);
        }
        for (int f = 0; f < (data.Findings?.Count ?? 0); f++)
            if (data.Findings![f] is null || string.IsNullOrWhiteSpace(data.Findings[f].Statement))
                Fail($"findings[{f}].statement", "is empty; state the claim that was checked.");
        if (data.SpectrumRunId is { } sid && data.Runs.FirstOrDefault(x => x.RunId == sid)?.Spectrum is not { Count: > 0 })
            Fail("spectrum_run_id", $"'{sid}' is not a run with a spectrum; name one that has one, or leave it out.");
    }

    private static void CheckMetric(MetricSpec? metric, string at, Action<string, string> fail)
    {
        if (metric is null || string.IsNullOrWhiteSpace(metric.Name)) fail($"{at}.name", "is missing; name the score, e.g. \"GSM8K accuracy\".");
    }

    private static void CheckRun(RunRecord run, string at, Action<string, string> fail)
    {
        if (run.Method is not ("lora" or "full")) fail($"{at}.method", $"'{run.Method}' is not \"lora\" or \"full\".");
        if (run.Method == "lora" && run.Rank is not > 0) fail($"{at}.rank", "a LoRA run needs a positive rank.");
        if (run.Method == "full" && run.Rank is not null) fail($"{at}.rank", "a full-finetuning run has no rank; leave it null.");
        if (!double.IsFinite(run.LearningRate) || run.LearningRate <= 0) fail($"{at}.learning_rate", $"{run.LearningRate} is not a positive number.");
        if (run.Regime is not ("cpt" or "ift")) fail($"{at}.regime", $"'{run.Regime}' is not \"cpt\" or \"ift\".");
        var checkpoints = run.Checkpoints ?? [];
        for (int c = 0; c < checkpoints.Count; c++)
        {
            var p = checkpoints[c];
            string cat = $"{at}.checkpoints[{c}]";
            if (p is null) { fail(cat, "is null; remove it."); continue; }
            if (p.Step < 0) fail($"{cat}.step", $"{p.Step} is negative.");
            if (p.TokensSeen < 0) fail($"{cat}.tokens_seen", $"{p.TokensSeen} is negative.");
            if (!double.IsFinite(p.Target)) fail($"{cat}.target", $"{p.Target} is not a finite number.");
            if (!double.IsFinite(p.Forgetting)) fail($"{cat}.forgetting", $"{p.Forgetting} is not a finite number.");
            if (p.Diversity is { } d && !double.IsFinite(d)) fail($"{cat}.diversity", $"{d} is not a finite number; leave it null if not measured.");
        }
        if (checkpoints.Select(p => p.Step).Distinct().Count() != checkpoints.Count) fail($"{at}.checkpoints", "two checkpoints have the same step.");
        var loss = run.TrainingLoss ?? [];
        for (int i = 0; i < loss.Count; i++)
            if (loss[i] is null || !double.IsFinite(loss[i].Loss)) fail($"{at}.training_loss[{i}].loss", "is not a finite number (did training diverge?).");
        var spectrum = run.Spectrum ?? [];
        var cells = new HashSet<(int, string)>();
        for (int i = 0; i < spectrum.Count; i++)
        {
            var m = spectrum[i];
            string sat = $"{at}.spectrum[{i}]";
            if (m is null) { fail(sat, "is null; remove it."); continue; }
            if (m.Layer < 0) fail($"{sat}.layer", $"{m.Layer} is negative.");
            if (string.IsNullOrWhiteSpace(m.Module)) fail($"{sat}.module", "is empty; name the projection, e.g. q_proj.");
            if (m.Rows <= 0 || m.Cols <= 0) fail($"{sat}.rows/cols", $"shape {m.Rows} × {m.Cols} is not positive.");
            long max = Math.Min(m.Rows, m.Cols);
            if (m.DeltaRank < 0 || m.DeltaRank > max) fail($"{sat}.variance_rank", $"{m.DeltaRank} is outside [0, {max}] for a {m.Rows} × {m.Cols} matrix.");
            if (m.RandomRank < 0 || m.RandomRank > max) fail($"{sat}.random_baseline_rank", $"{m.RandomRank} is outside [0, {max}].");
            if (!cells.Add((m.Layer, m.Module))) fail(sat, $"layer {m.Layer} {m.Module} appears twice.");
        }
    }
}
