namespace LoraLab.Reports;

/// <summary>
/// One evaluated checkpoint of a run: how far training got and the two scores the study trades off.
/// <see cref="Target"/> measures learning (e.g. GSM8K accuracy, or loss on the target domain) and
/// <see cref="Forgetting"/> measures what is kept of the source domain (e.g. mean accuracy of HellaSwag, ARC-Challenge
/// and WinoGrande, or source-domain loss); their names and directions are in <see cref="ReportData"/>.
/// </summary>
public sealed record CheckpointPoint
{
    public required long Step { get; init; }

    public required long TokensSeen { get; init; }

    public required double Target { get; init; }

    public required double Forgetting { get; init; }

    /// <summary>ΔW's rank for 90% of its variance at this checkpoint, mean over layers and modules, if analysed.</summary>
    public double? DeltaRank { get; init; }

    /// <summary>Generation diversity at this checkpoint (e.g. distinct-n or embedding spread), if measured.</summary>
    public double? Diversity { get; init; }
}
