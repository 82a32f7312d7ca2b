using System.Text.Json.Serialization;

namespace LoraLab.Reports;

/// <summary>A claim the study checks ("LoRA forgets less than full finetuning"), its verdict, and the evidence.</summary>
public sealed record Finding
{
    public required string Statement { get; init; }

    public required FindingVerdict Verdict { get; init; }

    public string Evidence { get; init; } = "";

    /// <summary>The verdict as the report writes it: "holds", "does not hold" or "inconclusive".</summary>
    [JsonIgnore]
    public string VerdictText => Verdict switch
    {
        FindingVerdict.Holds => "holds",
        FindingVerdict.DoesNotHold => "does not hold",
        _ => "inconclusive",
    };
}
