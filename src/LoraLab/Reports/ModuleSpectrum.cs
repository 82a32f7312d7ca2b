namespace LoraLab.Reports;

/// <summary>
/// Spectrum summary of one weight change ΔW (finetuned minus base) of one module: the rank needed to explain 90% of
/// its variance, the same rank for a random Gaussian matrix of the same shape (the study's baseline), and the shape.
/// </summary>
public sealed record ModuleSpectrum
{
    /// <summary>Decoder layer index (0-based).</summary>
    public required int Layer { get; init; }

    /// <summary>Projection name, Hugging Face style: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.</summary>
    public required string Module { get; init; }

    public required int Rows { get; init; }

    public required int Cols { get; init; }

    /// <summary>Smallest k with Σ_{i≤k} σ_i² ≥ 0.9 Σ σ_i² for ΔW.</summary>
    public required int VarianceRank { get; init; }

    /// <summary>The same rank for a random matrix of shape Rows × Cols.</summary>
    public required int RandomBaselineRank { get; init; }

    /// <summary>The summary of one module of a <see cref="Analysis.SpectrumAnalysis"/> result.</summary>
    public static ModuleSpectrum From(Analysis.ModuleSpectrum s) => new()
    {
        Layer = s.Layer, Module = s.Module, Rows = checked((int)s.Rows), Cols = checked((int)s.Cols),
        VarianceRank = s.DeltaRank, RandomBaselineRank = s.RandomRank,
    };
}
