using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Analysis;

/// <summary>
/// Singular-value spectra of weight matrices and weight changes, and the rank needed to explain a share of their
/// variance: the smallest k with Σ_{i≤k} σ_i² ≥ threshold · Σ σ_i².
/// </summary>
public static class Spectrum
{
    /// <summary>Singular values of a 2-D matrix, descending, computed in float64 on <paramref name="device"/> (default: the matrix's).</summary>
    public static double[] SingularValues(Tensor matrix, Device? device = null)
    {
        if (matrix.dim() != 2) throw new ArgumentException($"expected a matrix, got shape [{string.Join(", ", matrix.shape)}]");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sv = linalg.svdvals(matrix.detach().to(device ?? matrix.device).to_type(ScalarType.Float64));
        return sv.cpu().data<double>().ToArray();
    }

    /// <summary>
    /// Singular values of s·B·A from its factors B (out × r) and A (r × in), without forming the product:
    /// with B = Q_B R_B and Aᵀ = Q_A R_A (thin QR), s·B·A = Q_B (s R_B R_Aᵀ) Q_Aᵀ, and the r × r core has the same
    /// non-zero singular values. Returns r values, descending.
    /// </summary>
    public static double[] LowRankSingularValues(Tensor b, Tensor a, double scale, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (_, rb) = linalg.qr(b.detach().to(device ?? b.device).to_type(ScalarType.Float64)); // R_B: (r, r)
        var (_, ra) = linalg.qr(a.detach().to(device ?? a.device).to_type(ScalarType.Float64).t()); // R_A: (r, r)
        using Scalar s = scale.ToScalar();
        var core = matmul(rb, ra.t()).mul_(s); // (r, r)
        return linalg.svdvals(core).cpu().data<double>().ToArray();
    }

    /// <summary>Smallest k such that the top-k squared singular values reach <paramref name="threshold"/> of the total.</summary>
    public static int RankForVariance(IReadOnlyList<double> singularValues, double threshold = 0.9)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new LoraLabException($"variance threshold must be in (0, 1], got {threshold}.");
        var sq = singularValues.Select(s => s * s).OrderByDescending(v => v).ToArray();
        double total = sq.Sum();
        if (total == 0) return 0;
        double target = threshold * total, running = 0;
        for (int k = 0; k < sq.Length; k++)
        {
            running += sq[k];
            // relative slack guards against rounding when the threshold is met exactly
            if (running >= target * (1 - 1e-12)) return k + 1;
        }
        return sq.Length;
    }

    /// <summary>Rank-for-variance of a random Gaussian matrix of the given shape (seeded), the study's baseline.</summary>
    public static int RandomMatrixRank(long rows, long cols, double threshold, long seed) =>
        RankForVariance(RandomMatrixSingularValues(rows, cols, seed), threshold);

    /// <summary>Singular values of the seeded random Gaussian matrix <see cref="RandomMatrixRank"/> measures, descending.</summary>
    public static double[] RandomMatrixSingularValues(long rows, long cols, long seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed);
        var m = randn(new[] { rows, cols }, dtype: ScalarType.Float32, generator: gen); // (rows, cols)
        return SingularValues(m);
    }
}
