namespace LoraLab.Analysis;

/// <summary>The ΔW spectrum of every layer × module at one checkpoint of a run.</summary>
public sealed record CheckpointSpectrum(long Step, long Tokens, string Checkpoint, IReadOnlyList<ModuleSpectrum> Modules)
{
    /// <summary>Mean over layers of ΔW's rank for the variance threshold, per module type (q_proj, …), in analysis order.</summary>
    public IReadOnlyList<(string Module, double MeanRank)> MeanRankByModule() =>
        Modules.GroupBy(m => m.Module).Select(g => (g.Key, g.Average(m => (double)m.DeltaRank))).ToList();
}
