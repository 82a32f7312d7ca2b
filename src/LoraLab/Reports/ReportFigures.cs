namespace LoraLab.Reports;

/// <summary>Renders every figure the data supports: always learning-vs-forgetting and training loss; spectra, diversity and curves over training when
/// present.</summary>
public static class ReportFigures
{
    public static IReadOnlyList<ReportFigure> Render(ReportData data)
    {
        var figures = new List<ReportFigure>
        {
            new("learning_vs_forgetting.png", "Learning vs forgetting",
                $"Each run's checkpoints in step order (larger marker: last checkpoint). x: {data.Target.AxisLabel}; y: {data.Forgetting.AxisLabel}. " +
                "Dashed: the Pareto frontier over all checkpoints.", LearningForgettingPlot.Render(data)),
            new("training_loss.png", "Training loss", "Training loss per step, one line per run.", LossCurvePlot.Render(data)),
        };
        if (OverTrainingPlot.Render(data) is { } over)
            figures.Add(new(OverTrainingPlot.File, "Learning, forgetting and ΔW rank over training",
                "Each run's evaluated checkpoints against tokens trained, one line per run" +
                (data.Runs.Any(r => r.Checkpoints.Any(c => c.DeltaRank is not null)) ? "; ΔW rank from analyze spectrum --run." : "."), over));
        if (SpectrumHeatmapPlot.Render(data) is { } heatmap)
            figures.Add(new("spectrum_heatmap.png", "ΔW spectrum by layer and module",
                $"Rank needed to explain 90% of ΔW's variance, run {SpectrumHeatmapPlot.PickRun(data)!.RunId}. Grey: module not present.", heatmap));
        if (SpectrumSummaryPlot.Render(data) is { } summary)
            figures.Add(new("spectrum_summary.png", "ΔW rank vs random baseline",
                "Mean over modules of the rank for 90% variance of ΔW, beside a random Gaussian matrix of the same shapes.", summary));
        if (DiversityPlot.Render(data) is { } diversity)
            figures.Add(new("diversity.png", "Generation diversity", $"{data.DiversityName} at each run's last checkpoint that measured it.", diversity));
        return figures;
    }
}
