using LoraLab.Analysis;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Analysis;

public class SpectrumTests
{
    [Fact]
    public void RankForVarianceOnAKnownDiagonalSpectrum()
    {
        // σ = 3, 2, 1, 0.5: σ² = 9, 4, 1, 0.25 (total 14.25). 90% = 12.825: 9 < 12.825 ≤ 13 → k = 2.
        // 95% = 13.5375: 13 < 13.5375 ≤ 14 → k = 3. 100% → k = 4.
        using var m = diag(tensor(new double[] { 1, 3, 0.5, 2 }));
        var sv = Spectrum.SingularValues(m);
        Assert.Equal(new[] { 3.0, 2.0, 1.0, 0.5 }, sv.Select(s => Math.Round(s, 10)));
        Assert.Equal(2, Spectrum.RankForVariance(sv, 0.9));
        Assert.Equal(3, Spectrum.RankForVariance(sv, 0.95));
        Assert.Equal(4, Spectrum.RankForVariance(sv, 1.0));
    }

    [Fact]
    public void ALowRankProductNeedsAtMostItsRank()
    {
        manual_seed(1);
        using var b = randn(64, 4, dtype: ScalarType.Float64);
        using var a = randn(4, 48, dtype: ScalarType.Float64);
        using var w = matmul(b, a);
        var sv = Spectrum.SingularValues(w);
        Assert.True(sv.Skip(4).All(s => s < 1e-9 * sv[0]));
        Assert.InRange(Spectrum.RankForVariance(sv, 0.9), 1, 4);
    }

    [Fact]
    public void FactorSpectrumEqualsDenseSvd()
    {
        manual_seed(2);
        using var b = randn(40, 6);
        using var a = randn(6, 30);
        double s = 2.0;
        using Scalar scaling = s.ToScalar();
        var dense = Spectrum.SingularValues(matmul(b, a).mul(scaling));
        var factored = Spectrum.LowRankSingularValues(b, a, s);
        Assert.Equal(6, factored.Length);
        for (int i = 0; i < 6; i++) Assert.Equal(dense[i], factored[i], 3);
    }

    [Fact]
    public void RandomGaussianMatrixMatchesMarchenkoPastur()
    {
        // A 256 × 512 Gaussian matrix: its 90%-variance rank should sit within a few percent of the MP prediction.
        int predicted = MarchenkoPastur.ExpectedRank(256, 512, 0.9);
        int measured = Spectrum.RandomMatrixRank(256, 512, 0.9, seed: 7);
        Assert.InRange(predicted, 150, 230); // far above a low rank, below full rank
        Assert.InRange(measured, predicted * 0.96, predicted * 1.04);
    }

    [Fact]
    public void SquareMarchenkoPasturHasAKnownQuarterCircleShape()
    {
        // λ = 1: singular values s = √x follow the quarter-circle law f(s) = √(4 − s²)/π on [0, 2].
        // Energy above s: ∫_s^2 t² f(t) dt. Solve numerically here, independently of the class's x-space integral.
        double Energy(double lo) { double e = 0, h = 1e-5;
            for (double t = lo + h / 2; t < 2; t += h) e += t * t * Math.Sqrt(4 - t * t) / Math.PI * h; return e; }
        double Mass(double lo) { double q = 0, h = 1e-5; for (double t = lo + h / 2; t < 2; t += h) q += Math.Sqrt(4 - t * t) / Math.PI * h; return q; }
        double loS = 0, hiS = 2;
        for (int i = 0; i < 60; i++) { double mid = (loS + hiS) / 2; if (Energy(mid) >= 0.9) loS = mid; else hiS = mid; }
        int expected = (int)Math.Ceiling(Mass(loS) * 1000);
        Assert.InRange(MarchenkoPastur.ExpectedRank(1000, 1000, 0.9), expected - 2, expected + 2);
    }
}
