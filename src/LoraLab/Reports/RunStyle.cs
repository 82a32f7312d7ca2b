using ScottPlot;

namespace LoraLab.Reports;

/// <summary>
/// Colour and marker of a method/rank group ("Full", "LoRA r=16"), the same in every plot: full finetuning in black
/// squares, LoRA ranks in palette colours and distinct markers, ordered by rank.
/// </summary>
public sealed record RunStyle(string Label, Color Color, MarkerShape Marker)
{
    /// <summary>The reports' categorical colours, in order (LoRA ranks here; module types in the spectrum-over-training plot).</summary>
    internal static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#17becf"),
    ];

    private static readonly MarkerShape[] LoraMarkers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown,
        MarkerShape.OpenCircle, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond, MarkerShape.OpenSquare,
    ];

    /// <summary>Style per run id. Groups are ordered Full first, then LoRA by rank; the order fixes the colours.</summary>
    public static IReadOnlyDictionary<string, RunStyle> For(IReadOnlyList<RunRecord> runs)
    {
        var groups = runs.Select(r => (r.IsLora, Rank: r.Rank ?? 0)).Distinct()
            .OrderBy(g => g.IsLora).ThenBy(g => g.Rank).ToList();
        var byGroup = new Dictionary<(bool, int), RunStyle>();
        int lora = 0;
        foreach (var g in groups)
        {
            byGroup[g] = g.IsLora
                ? new RunStyle($"LoRA r={g.Rank}", Palette[lora % Palette.Length], LoraMarkers[lora++ % LoraMarkers.Length])
                : new RunStyle("Full", Color.FromHex("#222222"), MarkerShape.FilledSquare);
        }
        return runs.ToDictionary(r => r.RunId, r => byGroup[(r.IsLora, r.Rank ?? 0)]);
    }
}
