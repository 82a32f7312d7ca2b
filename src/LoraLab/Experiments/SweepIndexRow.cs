namespace LoraLab.Experiments;

/// <summary>One row of the index's <c>runs</c> table.</summary>
public sealed record SweepIndexRow(
    string PointId,
    string? Sweep,
    string? Method,
    int? Rank,
    double? Lr,
    string? Targets,
    string? Duration,
    long? Seed,
    string Status,
    double? FinalLoss,
    double? TargetScore,
    double? ForgettingScore,
    string MetricsJson,
    string? Error,
    string OverridesJson,
    string UpdatedAt);
