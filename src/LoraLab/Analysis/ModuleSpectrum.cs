namespace LoraLab.Analysis;

/// <summary>
/// The spectrum summary of one weight matrix of one layer: ranks needed to explain the variance threshold for the weight
/// change ΔW, the base weight W, and a random Gaussian matrix of the same shape (measured and Marchenko–Pastur expected).
/// </summary>
public sealed record ModuleSpectrum(
    int Layer,
    string Module,
    long Rows,
    long Cols,
    int DeltaRank,
    int BaseRank,
    int RandomRank,
    int MarchenkoPasturRank,
    double DeltaFrobeniusNorm,
    double[] DeltaSingularValues,
    double[] BaseSingularValues);
