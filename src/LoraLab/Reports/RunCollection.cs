using System.Text.Json;

namespace LoraLab.Reports;

/// <summary>
/// Gathers a report's data from a runs directory: either one <c>report.json</c> (a whole <see cref="ReportData"/>), or one
/// <c>run_record.json</c> (a <see cref="RunRecord"/>) in each run's subdirectory, with optional <c>report_settings.json</c>
/// (title, target/forgetting metric names and directions, findings) beside them.
/// </summary>
public static class RunCollection
{
    public const string ReportFile = "report.json";
    public const string RunRecordFile = "run_record.json";
    public const string SettingsFile = "report_settings.json";

    public static ReportData Collect(string runsDir)
    {
        if (!Directory.Exists(runsDir)) throw new LoraLabException($"{runsDir}: runs directory not found.");
        string whole = Path.Combine(runsDir, ReportFile);
        if (File.Exists(whole)) return ReportJson.Load(whole);
        var runs = new List<RunRecord>();
        foreach (var file in Directory.EnumerateFiles(runsDir, RunRecordFile, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                runs.Add(JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file), ReportJson.Options)
                    ?? throw new LoraLabException($"{file}: the JSON is null; expected a run record."));
            }
            catch (JsonException e)
            {
                throw new LoraLabException($"{file}: invalid run record JSON at {e.Path}: {e.Message.ReplaceLineEndings(" ")}", e);
            }
        }
        if (runs.Count == 0)
            throw new LoraLabException($"{runsDir}: no {ReportFile} and no */{RunRecordFile} found; run a sweep or the demo first.");
        var data = new ReportData
        {
            Title = "LoRA vs full finetuning: learning and forgetting",
            Target = new MetricSpec { Name = "target score", HigherIsBetter = true },
            Forgetting = new MetricSpec { Name = "source score", HigherIsBetter = true },
            Runs = runs,
        };
        string settings = Path.Combine(runsDir, SettingsFile);
        if (File.Exists(settings))
        {
            // the settings file is a report.json whose "runs" list is empty (the runs come from the run records)
            ReportData? s;
            try
            {
                s = JsonSerializer.Deserialize<ReportData>(File.ReadAllText(settings), ReportJson.Options);
            }
            catch (JsonException e)
            {
                throw new LoraLabException($"{settings}: invalid report settings JSON at {e.Path}: {e.Message.ReplaceLineEndings(" ")}", e);
            }
            if (s is null) throw new LoraLabException($"{settings}: the JSON is null.");
            data = data with { Title = s.Title, Subtitle = s.Subtitle, Target = s.Target, Forgetting = s.Forgetting, DiversityName = s.DiversityName, Findings = s.Findings, SpectrumRunId = s.SpectrumRunId };
        }
        ReportValidator.Validate(data, runsDir);
        return data;
    }
}
