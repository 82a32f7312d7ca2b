using System.Text.Json.Serialization;

namespace LoraLab.Reports;

/// <summary>A score's display name and direction: accuracy is higher-is-better, loss lower-is-better.</summary>
public sealed record MetricSpec
{
    public required string Name { get; init; }

    public required bool HigherIsBetter { get; init; }

    /// <summary>Axis label: the name with its direction.</summary>
    [JsonIgnore]
    public string AxisLabel => $"{Name} ({(HigherIsBetter ? "higher" : "lower")} is better)";
}
