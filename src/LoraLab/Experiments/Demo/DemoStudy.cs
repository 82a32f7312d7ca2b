using LoraLab.Evaluation;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The demo's results as the findings read them: the base model, every run, and each method's chosen learning rate,
/// with the comparisons' runs picked out per seed (null where the plan did not run one).
/// </summary>
public sealed class DemoStudy
{
    public DemoStudy(DemoPlan plan, DemoMetrics baseline, DiversityResult baseDiversity, IReadOnlyList<DemoRunResult> runs, double fullLr, double loraLr)
    {
        Plan = plan;
        Baseline = baseline;
        BaseDiversity = baseDiversity;
        Runs = runs;
        FullLr = fullLr;
        LoraLr = loraLr;
    }

    public DemoPlan Plan { get; }
    public DemoMetrics Baseline { get; }
    public DiversityResult BaseDiversity { get; }
    public IReadOnlyList<DemoRunResult> Runs { get; }

    /// <summary>Full finetuning's learning rate with the lowest final target loss (mean over seeds).</summary>
    public double FullLr { get; }

    /// <summary>LoRA's (all modules, small rank) learning rate with the lowest final target loss (mean over seeds).</summary>
    public double LoraLr { get; }

    public IEnumerable<long> Seeds => Plan.Seeds.Select(s => (long)s);

    /// <summary>Full finetuning at its best rate, without regularisation.</summary>
    public DemoRunResult? Full(long seed) => Find(r => !r.IsLora && r.IsPlain && r.LearningRate == FullLr && r.Seed == seed);

    /// <summary>Full finetuning at its best rate with weight decay (<c>wd</c>) or dropout.</summary>
    public DemoRunResult? FullWith(long seed, bool weightDecay) =>
        Find(r => !r.IsLora && r.LearningRate == FullLr && r.Seed == seed && (weightDecay ? r.WeightDecay > 0 : r.Dropout > 0));

    /// <summary>LoRA at its best rate on <paramref name="targets"/> at <paramref name="rank"/> (default: the small rank).</summary>
    public DemoRunResult? Lora(long seed, string targets = "all", int? rank = null) =>
        Find(r => r.IsLora && r.LearningRate == LoraLr && r.Seed == seed && r.Targets == targets && r.Rank == (rank ?? Plan.SmallRank));

    /// <summary>The learning-rate sweep of one method (full: plain; LoRA: all modules, small rank) at one seed, by rate.</summary>
    public IReadOnlyList<DemoRunResult> LrSweep(bool lora, long seed) => Runs
        .Where(r => r.IsLora == lora && r.IsPlain && r.Seed == seed && (!lora || (r.Targets == "all" && r.Rank == Plan.SmallRank)))
        .OrderBy(r => r.LearningRate).ToList();

    private DemoRunResult? Find(Func<DemoRunResult, bool> match) => Runs.FirstOrDefault(match);
}
