using LoraLab.Reports;

namespace LoraLab.Tests.Reports;

// Expected frontiers worked out by hand from the definition (a point is off the frontier if another point is at least
// as good on both axes and strictly better on one); the reasoning for each point is in the comments.
public class ParetoFrontierTests
{
    //                                          0       1       2       3       4       5       6       7
    private static readonly (double X, double Y)[] SetA = [(1, 5), (2, 4), (3, 3), (2, 2), (4, 1), (1, 1), (3, 3), (0.5, 5)];

    [Fact]
    public void BothHigherIsBetter()
    {
        // (0.5,5) ≺ (1,5) (same y, larger x); (2,2) ≺ (2,4); (1,1) ≺ (2,2). (3,3) twice: equal points don't dominate.
        Assert.Equal([0, 1, 2, 6, 4], ParetoFrontier.Indices(SetA, xHigherIsBetter: true, yHigherIsBetter: true));
    }

    [Fact]
    public void BothLowerIsBetter()
    {
        //                                 0       1       2       3       4       5
        (double, double)[] set = [(1, 4), (2, 2), (4, 1), (3, 3), (2, 5), (1, 4)];
        // (3,3) ≺ (2,2); (2,5) ≺ (1,4); the two (1,4) both stay. Sorted by x, then y, then index.
        Assert.Equal([0, 5, 1, 2], ParetoFrontier.Indices(set, xHigherIsBetter: false, yHigherIsBetter: false));
    }

    //                                          0       1       2       3       4       5
    private static readonly (double X, double Y)[] SetC = [(1, 1), (2, 2), (3, 4), (2, 3), (0, 0), (3, 5)];

    [Fact]
    public void XHigherYLowerIsBetter()
    {
        // accuracy vs loss: (2,3) ≺ (2,2) (same x, lower y); (3,5) ≺ (3,4). (0,0) has the lowest y, so it stays.
        Assert.Equal([4, 0, 1, 2], ParetoFrontier.Indices(SetC, xHigherIsBetter: true, yHigherIsBetter: false));
    }

    [Fact]
    public void XLowerYHigherIsBetter()
    {
        // loss vs accuracy: (2,2) ≺ (2,3); (3,4) ≺ (3,5); (0,0) has the lowest x, so it stays.
        Assert.Equal([4, 0, 3, 5], ParetoFrontier.Indices(SetC, xHigherIsBetter: false, yHigherIsBetter: true));
    }

    [Fact]
    public void SameSetDifferentDirectionGivesDifferentFrontier()
    {
        // x higher, y lower: (4,1) has the largest x and, among x ≥ 1, (1,1) is matched on y by (4,1) with larger x:
        // every other point has y ≥ 1 and x ≤ 4, so (4,1) dominates them all.
        Assert.Equal([4], ParetoFrontier.Indices(SetA, xHigherIsBetter: true, yHigherIsBetter: false));
    }

    [Fact]
    public void Dominance()
    {
        Assert.True(ParetoFrontier.Dominates((2, 2), (1, 2), true, true));
        Assert.False(ParetoFrontier.Dominates((2, 2), (2, 2), true, true));
        Assert.False(ParetoFrontier.Dominates((2, 1), (1, 2), true, true));
        Assert.True(ParetoFrontier.Dominates((1, 2), (2, 2), false, true));
        Assert.True(ParetoFrontier.Dominates((2, 1), (2, 2), true, false));
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Empty(ParetoFrontier.Indices([], true, true));
        Assert.Equal([0], ParetoFrontier.Indices([(0.3, 0.7)], true, false));
        Assert.Throws<ArgumentException>(() => ParetoFrontier.Indices([(1, 1), (double.NaN, 2)], true, true));
    }
}
