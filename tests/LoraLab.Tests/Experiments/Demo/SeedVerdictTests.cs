using LoraLab.Experiments.Demo;
using LoraLab.Reports;

namespace LoraLab.Tests.Experiments.Demo;

public class SeedVerdictTests
{
    [Fact]
    public void A_claim_holds_only_when_every_seed_clears_the_tolerance_in_its_favour()
    {
        Assert.Equal(FindingVerdict.Holds, SeedVerdict.Of([0.05, 0.02, 0.011], 0.01));
        Assert.Equal(FindingVerdict.DoesNotHold, SeedVerdict.Of([-0.05, -0.02], 0.01));
        Assert.Equal(FindingVerdict.Inconclusive, SeedVerdict.Of([0.05, -0.02], 0.01)); // seeds disagree
        Assert.Equal(FindingVerdict.Inconclusive, SeedVerdict.Of([0.05, 0.005], 0.01)); // one seed within the tolerance
        Assert.Equal(FindingVerdict.Inconclusive, SeedVerdict.Of([], 0.01));
        Assert.Equal(FindingVerdict.Holds, SeedVerdict.Of([0.02, double.NaN], 0.01)); // a failed run's NaN is left out
    }

    [Fact]
    public void Per_seed_outcomes_combine_into_one_verdict()
    {
        Assert.Equal(FindingVerdict.Holds, SeedVerdict.All([true, true]));
        Assert.Equal(FindingVerdict.DoesNotHold, SeedVerdict.All([false, false]));
        Assert.Equal(FindingVerdict.Inconclusive, SeedVerdict.All([true, false]));
        Assert.Equal(FindingVerdict.Inconclusive, SeedVerdict.All([true, null]));
    }

    [Fact]
    public void The_spread_says_when_there_is_only_one_seed()
    {
        Assert.Equal("+0.100 (1 seed: no spread)", SeedVerdict.Spread([0.1]));
        Assert.Equal("mean +0.150, seeds +0.100 … +0.200 (2 seeds)", SeedVerdict.Spread([0.1, 0.2]));
    }
}
