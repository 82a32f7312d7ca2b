using LoraLab.Experiments.Demo;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoIntruderTrendTests
{
    [Fact]
    public void SpearmanMatchesAHandComputationWithTies()
    {
        // x = 1…6 → ranks 1…6; y = (2, 1, 4, 4, 9, 3) → ranks (2, 1, 4.5, 4.5, 6, 3) (the two 4s share ranks 4 and 5).
        // Both mean 3.5; deviations dx = (−2.5, −1.5, −0.5, 0.5, 1.5, 2.5), dy = (−1.5, −2.5, 1, 1, 2.5, −0.5):
        // Σdxdy = 3.75 + 3.75 − 0.5 + 0.5 + 3.75 − 1.25 = 10, Σdx² = 17.5, Σdy² = 17, ρ = 10 / √(17.5 · 17).
        double rho = DemoIntruderTrend.Spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 4, 9, 3]);
        Assert.Equal(10 / Math.Sqrt(17.5 * 17), rho, 12);
    }

    [Fact]
    public void SpearmanIsOneForAnyIncreasingRelationAndNaNWithoutSpread()
    {
        Assert.Equal(1.0, DemoIntruderTrend.Spearman([0, 1, 2, 5], [0.1, 3, 30, 300]), 12); // monotone, not linear
        Assert.Equal(-1.0, DemoIntruderTrend.Spearman([0, 1, 2, 5], [9, 8, 1, 0]), 12);
        Assert.True(double.IsNaN(DemoIntruderTrend.Spearman([1, 1, 1], [1, 2, 3]))); // x has no spread
        Assert.True(double.IsNaN(DemoIntruderTrend.Spearman([1, 2], [1, 2]))); // too few points
    }
}
