using LoraLab.Analysis;
using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Analysis;

/// <summary>Intruder dimensions on constructed matrices whose SVDs are known in closed form.</summary>
public class IntruderDimensionsTests
{
    /// <summary>Orthonormal columns: the first <paramref name="n"/> columns of a seeded QR.</summary>
    private static Tensor Orthonormal(long rows, long n, ulong seed)
    {
        using var gen = new Generator(seed);
        var (q, _) = linalg.qr(randn(new[] { rows, rows }, dtype: ScalarType.Float64, generator: gen)); // (rows, rows)
        return q.narrow(1, 0, n);
    }

    [Fact]
    public void ARankOneComponentOrthogonalToTheBaseWithALargeSingularValueIsExactlyOneIntruder()
    {
        using var scope = NewDisposeScope();
        var u = Orthonormal(8, 4, 1); // (8, 4): u0, u1, u2 span W0's columns; u3 ⟂ them
        var v = Orthonormal(6, 4, 2); // (6, 4): v3 ⟂ W0's rows
        var s = tensor(new double[] { 3, 2, 1 });
        var w0 = matmul(u.narrow(1, 0, 3) * s, v.narrow(1, 0, 3).t()); // (8, 6) = U diag(3, 2, 1) Vᵀ, rank 3
        using Scalar ten = 10.0.ToScalar(), oneAndAHalf = 1.5.ToScalar();
        var intruder = matmul(u.narrow(1, 3, 1), v.narrow(1, 3, 1).t()).mul(ten); // (8, 6): σ = 10 > 3 along u3 ⟂ range(W0)
        var w1 = w0.add(intruder, Scalars.One); // SVD: [u3 u0 u1 u2] diag(10, 3, 2, 1)
        Assert.Equal(1, IntruderDimensions.Count(w0, w1, 4, 0.5));
        Assert.Equal(1, IntruderDimensions.Count(w0, w1, 10, 0.01)); // k beyond the rank: still only u3
        Assert.Equal(0, IntruderDimensions.Count(w0, w0.mul(oneAndAHalf), 4, 0.9)); // a rescaled base has the base's vectors
        // the component in the base's own direction u0 is no intruder
        var aligned = w0.add(matmul(u.narrow(1, 0, 1), v.narrow(1, 0, 1).t()).mul(ten), Scalars.One);
        Assert.Equal(0, IntruderDimensions.Count(w0, aligned, 4, 0.5));
    }

    [Fact]
    public void OptionsOutOfRangeAreRefused()
    {
        using var scope = NewDisposeScope();
        var w = eye(3, dtype: ScalarType.Float64);
        Assert.Contains("--k", Assert.Throws<LoraLabException>(() => IntruderDimensions.Count(w, w, 0, 0.5)).Message);
        Assert.Contains("--epsilon", Assert.Throws<LoraLabException>(() => IntruderDimensions.Count(w, w, 3, 0)).Message);
    }
}
