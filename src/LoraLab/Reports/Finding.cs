namespace LoraLab.Reports;

/// <summary>A claim the study checks ("LoRA forgets less than full finetuning"), whether it held, and the evidence.</summary>
public sealed record Finding
{
    public required string Statement { get; init; }

    public required bool Holds { get; init; }

    public string Evidence { get; init; } = "";
}
