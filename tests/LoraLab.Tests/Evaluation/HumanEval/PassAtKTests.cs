using LoraLab.Evaluation.HumanEval;

namespace LoraLab.Tests.Evaluation.HumanEval;

/// <summary>pass@k = 1 − C(n−c, k)/C(n, k), checked against binomials computed by hand.</summary>
public class PassAtKTests
{
    [Theory]
    [InlineData(5, 2, 1, 0.4)]                 // 1 − C(3,1)/C(5,1) = 1 − 3/5
    [InlineData(10, 3, 2, 1.0 - 21.0 / 45.0)]  // 1 − C(7,2)/C(10,2)
    [InlineData(10, 3, 5, 1.0 - 21.0 / 252.0)] // 1 − C(7,5)/C(10,5)
    [InlineData(4, 0, 2, 0.0)]
    [InlineData(4, 3, 2, 1.0)]                 // n − c < k
    [InlineData(4, 4, 1, 1.0)]
    [InlineData(200, 1, 100, 0.5)]             // 1 − C(199,100)/C(200,100) = 1 − 100/200
    public void MatchesTheClosedForm(int n, int c, int k, double expected) =>
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 12);

    [Fact]
    public void AveragesOverProblemsAndSkipsKLargerThanSomeN()
    {
        var result = PassAtK.Average([(5, 2), (10, 3)], [1, 2, 10, 100]);
        Assert.Equal((0.4 + 0.3) / 2, result[1], 12);
        Assert.Equal(((1.0 - 3.0 / 10.0) + (1.0 - 21.0 / 45.0)) / 2, result[2], 12); // C(3,2)/C(5,2) = 3/10
        Assert.False(result.ContainsKey(10)); // problem 1 has only 5 samples
        Assert.False(result.ContainsKey(100));
    }

    [Fact]
    public void RejectsKAboveN() => Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(3, 1, 4));
}
