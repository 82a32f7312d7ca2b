namespace LoraLab.Reports;

/// <summary>Everything the learning-vs-forgetting report shows: the runs, the metrics' names and directions, findings.</summary>
public sealed record ReportData
{
    public required string Title { get; init; }

    /// <summary>One line under the title: model, data, regime.</summary>
    public string Subtitle { get; init; } = "";

    public required MetricSpec Target { get; init; }

    public required MetricSpec Forgetting { get; init; }

    /// <summary>Name of the diversity score, if runs carry one.</summary>
    public string DiversityName { get; init; } = "diversity";

    public required IReadOnlyList<RunRecord> Runs { get; init; }

    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>The run whose layers × modules spectrum heatmap is drawn; null picks the first run with a spectrum.</summary>
    public string? SpectrumRunId { get; init; }
}
