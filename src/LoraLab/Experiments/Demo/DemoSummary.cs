namespace LoraLab.Experiments.Demo;

/// <summary>Where the demo wrote its report, and the findings it reached.</summary>
public sealed record DemoSummary(string ReportHtml, string SummaryMarkdown, IReadOnlyList<Reports.Finding> Findings);
