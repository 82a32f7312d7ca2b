namespace LoraLab.Reports;

/// <summary>Training loss at one optimizer step.</summary>
public sealed record LossPoint
{
    public required long Step { get; init; }

    public required double Loss { get; init; }
}
