using System.Text.Json.Serialization;

namespace LoraLab.Analysis;

/// <summary>
/// The spectrum summary of one weight matrix of one layer: ranks needed to explain the variance threshold for the weight
/// change ΔW, the base weight W, and a random Gaussian matrix of the same shape (measured and Marchenko–Pastur expected).
/// A study report keeps only the <see cref="Summary"/> (layer, module, shape, ΔW rank as <c>variance_rank</c>, random
/// rank as <c>random_baseline_rank</c>); the detail members are then null and not written. spectrum.json files name
/// the ranks <c>delta_rank</c> / <c>random_rank</c> (<see cref="SpectrumAnalysis.Write"/>).
/// </summary>
public sealed record ModuleSpectrum
{
    /// <summary>Decoder layer index (0-based).</summary>
    public required int Layer { get; init; }

    /// <summary>Projection name, Hugging Face style: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.</summary>
    public required string Module { get; init; }

    public required long Rows { get; init; }

    public required long Cols { get; init; }

    /// <summary>Smallest k with Σ_{i≤k} σ_i² ≥ threshold · Σ σ_i² for ΔW.</summary>
    [JsonPropertyName("variance_rank")]
    public required int DeltaRank { get; init; }

    /// <summary>The same rank for a random Gaussian matrix of shape Rows × Cols.</summary>
    [JsonPropertyName("random_baseline_rank")]
    public required int RandomRank { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? BaseRank { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MarchenkoPasturRank { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DeltaFrobeniusNorm { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? DeltaSingularValues { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? BaseSingularValues { get; init; }

    /// <summary>What a study report keeps of it: the detail members dropped.</summary>
    public ModuleSpectrum Summary() => this with
    {
        BaseRank = null, MarchenkoPasturRank = null, DeltaFrobeniusNorm = null, DeltaSingularValues = null, BaseSingularValues = null,
    };

    /// <summary>Its row of a spectrum.json file (every member, ranks named delta_rank / random_rank).</summary>
    public object FileFields(bool withBaseSingularValues) => withBaseSingularValues
        ? new
        {
            layer = Layer, module = Module, rows = Rows, cols = Cols, delta_rank = DeltaRank, base_rank = BaseRank, random_rank = RandomRank,
            marchenko_pastur_rank = MarchenkoPasturRank, delta_frobenius_norm = DeltaFrobeniusNorm,
            delta_singular_values = DeltaSingularValues, base_singular_values = BaseSingularValues,
        }
        : new
        {
            layer = Layer, module = Module, rows = Rows, cols = Cols, delta_rank = DeltaRank, base_rank = BaseRank, random_rank = RandomRank,
            marchenko_pastur_rank = MarchenkoPasturRank, delta_frobenius_norm = DeltaFrobeniusNorm,
            delta_singular_values = DeltaSingularValues,
        };
}
