namespace LoraLab.Experiments;

/// <summary>
/// The content of a point's <c>result.json</c>: which point it is (id, settings, overrides), how it ended (its runner's
/// <see cref="SweepPointResult"/>) and when.
/// These files are the sweep's source of truth; the SQLite index is rebuilt from them.
/// </summary>
public sealed record SweepResultRecord
{
    public required string PointId { get; init; }

    /// <summary>The point's index in the grid when it ran (indices shift when a grid changes; ids do not).</summary>
    public int? Index { get; init; }

    public string? Sweep { get; init; }

    /// <summary>"lora" or "full".</summary>
    public string? Method { get; init; }

    public int? Rank { get; init; }

    public double? Lr { get; init; }

    public string? Targets { get; init; }

    public IReadOnlyList<string>? TargetModules { get; init; }

    /// <summary>max_duration as written by Composer (e.g. "20ba").</summary>
    public string? Duration { get; init; }

    public long? Seed { get; init; }

    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>How the point ended, as its runner reported it (a failure always carries an error message).</summary>
    public required SweepPointResult Result { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public double? ElapsedSeconds { get; init; }

    /// <summary>The record of a point's run from what its runner returned.</summary>
    public static SweepResultRecord From(SweepPoint point, SweepPointResult result, DateTimeOffset started, DateTimeOffset finished) => new()
    {
        PointId = point.Id,
        Index = point.Index,
        Sweep = point.SweepName,
        Method = point.Method == Training.Config.FinetuneMethod.Full ? "full" : "lora",
        Rank = point.Rank,
        Lr = point.LearningRate,
        Targets = point.Targets,
        TargetModules = point.TargetModules,
        Duration = point.MaxDuration.ToString(),
        Seed = point.Seed,
        Overrides = point.Overrides,
        Result = result.Status == SweepPointStatus.Failed && result.Error is null ? result with { Error = "failed (no error message)" } : result,
        StartedAt = started,
        FinishedAt = finished,
        ElapsedSeconds = (finished - started).TotalSeconds,
    };
}
