using LoraLab.Evaluation;
using LoraLab.Experiments.Demo;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Reports;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoFindingsPracticeTests
{
    private static readonly DiversityResult NoDiversity = new(1, 1, 1, 1, 1, 1);

    private static DemoRunResult Run(bool lora, double lr, double targetLoss)
    {
        string id = $"{(lora ? "lora" : "full")}-{lr}";
        return new DemoRunResult
        {
            RunId = id, Method = lora ? "lora" : "full", Rank = lora ? 2 : null, LearningRate = lr, RunDir = "/nowhere", Seed = 1,
            Evaluations = [new DemoMetrics(0, 0, 2.0, 0, 1.0, 0.5), new DemoMetrics(10, 100, targetLoss, 0.5, 1.1, 0.5)],
            Spectrum = [], Diversity = NoDiversity,
            Record = new RunRecord { RunId = id, Method = lora ? "lora" : "full", LearningRate = lr, Regime = "ift" },
        };
    }

    // Full's sweep has its minimum at 1e-4 (inside the grid); LoRA's at 1e-3 inside [1e-4, 3e-3] or at the top of [1e-4, 1e-3].
    private static Finding Practice(IReadOnlyList<double> loraGrid)
    {
        var plan = new DemoPlan
        {
            Data = new DemoDataOptions(), PretrainSteps = 1, FinetuneSteps = 10, EvalPoints = 1, Seeds = [1],
            FullLrs = [3e-5, 1e-4, 3e-4], LoraLrs = loraGrid,
        };
        var runs = new List<DemoRunResult> { Run(false, 3e-5, 1.5), Run(false, 1e-4, 1.2), Run(false, 3e-4, 1.4) };
        var loraLoss = new Dictionary<double, double> { [1e-4] = 1.6, [3e-4] = 1.5, [1e-3] = 1.3, [3e-3] = 1.45 };
        runs.AddRange(loraGrid.Select(lr => Run(true, lr, loraLoss[lr])));
        double fullLr = DemoFindings.BestLr(runs, r => !r.IsLora), loraLr = DemoFindings.BestLr(runs, r => r.IsLora);
        Assert.Equal(1e-4, fullLr);
        Assert.Equal(1e-3, loraLr);
        var study = new DemoStudy(plan, runs[0].Evaluations[0], NoDiversity, runs, fullLr, loraLr);
        return DemoFindings.Evaluate(study)[6];
    }

    [Fact]
    public void ABestRateAtTheTopOfItsGridMakesTheLearningRateRatioInconclusive()
    {
        var edge = Practice([1e-4, 3e-4, 1e-3]);
        Assert.Equal(FindingVerdict.Inconclusive, edge.Verdict);
        Assert.Contains("LoRA 0.001 (the top of its grid: the optimum may lie higher)", edge.Evidence);
        Assert.DoesNotContain("full 1e-4 (the", edge.Evidence);

        // the same ratio (10×) with LoRA's optimum bracketed: no edge note; the verdict then rests on the target modules,
        // which this study did not run (inconclusive, not "does not hold")
        var inside = Practice([1e-4, 3e-4, 1e-3, 3e-3]);
        Assert.DoesNotContain("of its grid", inside.Evidence);
        Assert.Contains("ratio 10× (about 10×)", inside.Evidence);
    }
}
