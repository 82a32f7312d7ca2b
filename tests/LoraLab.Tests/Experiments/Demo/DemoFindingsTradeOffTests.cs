using LoraLab.Evaluation;
using LoraLab.Experiments.Demo;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Reports;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoFindingsTradeOffTests
{
    private static readonly DiversityResult NoDiversity = new(1, 1, 1, 1, 1, 1);

    // (target loss, source loss) after the base model's (2.0, 1.0).
    private static DemoRunResult Run(int? rank, params (double Target, double Source)[] checkpoints)
    {
        string id = rank is null ? "full" : $"lora-r{rank}";
        var evaluations = new List<DemoMetrics> { new(0, 0, 2.0, 0, 1.0, 0.5) };
        evaluations.AddRange(checkpoints.Select((c, i) => new DemoMetrics(10 * (i + 1), 100 * (i + 1), c.Target, 0.5, c.Source, 0.5)));
        return new DemoRunResult
        {
            RunId = id, Method = rank is null ? "full" : "lora", Rank = rank, LearningRate = rank is null ? 1e-4 : 1e-3, RunDir = "/nowhere",
            Seed = 1, Evaluations = evaluations, Spectrum = [], Diversity = NoDiversity,
            Record = new RunRecord { RunId = id, Method = rank is null ? "full" : "lora", LearningRate = 1e-4, Regime = "ift" },
        };
    }

    private static Finding TradeOff(params DemoRunResult[] loras)
    {
        var plan = new DemoPlan
        {
            Data = new DemoDataOptions(), PretrainSteps = 1, FinetuneSteps = 20, EvalPoints = 2, Seeds = [1], FullLrs = [1e-4], LoraLrs = [1e-3],
        };
        // full finetuning's curve: forgetting 0 → 0.5 → 1.0 as target loss goes 2.0 → 1.5 → 1.0 (final forgetting 1.0)
        var runs = new List<DemoRunResult> { Run(null, (1.5, 1.5), (1.0, 2.0)) };
        runs.AddRange(loras);
        var study = new DemoStudy(plan, runs[0].Evaluations[0], NoDiversity, runs, 1e-4, 1e-3);
        return DemoFindings.Evaluate(study)[2];
    }

    [Fact]
    public void RanksThatPartWaysAreShownApartAndTheirMeanJudged()
    {
        // r=2 at target 1.5 and 1.2 forgets 0.3 and 0.6 against the curve's 0.5 and 0.8: −0.2 each, below the curve;
        // r=16 at the same targets forgets 1.5 and 1.8: +1.0 each, above it. Pooled: +0.4 > 1/3, so not on one curve.
        var finding = TradeOff(Run(2, (1.5, 1.3), (1.2, 1.6)), Run(16, (1.5, 2.5), (1.2, 2.8)));
        Assert.Equal(FindingVerdict.DoesNotHold, finding.Verdict);
        Assert.Contains("+0.40", finding.Evidence);
        Assert.Contains("(by rank: r=2 -0.20; r=16 +1.00)", finding.Evidence);
    }

    [Fact]
    public void LoraOnTheCurveAtItsLearnLessEndHolds()
    {
        var finding = TradeOff(Run(2, (1.5, 1.5), (1.2, 1.8)));
        Assert.Equal(FindingVerdict.Holds, finding.Verdict);
        Assert.Contains("(by rank: r=2 +0.00)", finding.Evidence);
    }
}
