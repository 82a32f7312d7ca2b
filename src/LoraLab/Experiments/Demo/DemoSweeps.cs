using System.Globalization;
using LoraLab.Experiments.Demo.Data;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The demo's runs as sweep files over the library's sweep machinery (<see cref="SweepPlan"/>, <see cref="SweepRunner"/>):
/// two base run configs (full, LoRA) and one sweep file per stage, written to <c>OUT/sweeps/</c> so a reader can see —
/// and rerun with <c>loralab sweep</c> — exactly what was trained. Every point runs in <c>OUT/runs/point_id</c>; a point
/// two stages share (LoRA on all modules at the small rank and its best rate) has one id and runs once.
/// </summary>
public sealed class DemoSweeps
{
    public const string FullBase = "finetune-full.yaml", LoraBase = "finetune-lora.yaml";

    private readonly string sweepDir;
    private readonly string runRoot;
    private readonly DemoPlan plan;

    public DemoSweeps(string outDir, DemoPlan plan, string baseDir, DemoDataFiles files)
    {
        this.plan = plan;
        sweepDir = Path.Combine(outDir, "sweeps");
        runRoot = Path.Combine(outDir, "runs");
        Directory.CreateDirectory(sweepDir);
        AtomicFile.WriteAllText(Path.Combine(sweepDir, FullBase), DemoConfigs.FinetuneYaml(baseDir, files.TargetTrain, "full", plan));
        AtomicFile.WriteAllText(Path.Combine(sweepDir, LoraBase), DemoConfigs.FinetuneYaml(baseDir, files.TargetTrain, "lora", plan));
    }

    public string RunRoot => runRoot;

    /// <summary>Stage 1a: full finetuning at every learning rate of the plan.</summary>
    public SweepPlan FullLrSweep() => Write("lr-full", FullBase, ("optimizer.lr", Lrs(plan.FullLrs)));

    /// <summary>Stage 1b: LoRA on all modules at the small rank, at every learning rate of the plan.</summary>
    public SweepPlan LoraLrSweep() => Write("lr-lora", LoraBase, ("optimizer.lr", Lrs(plan.LoraLrs)));

    /// <summary>Stage 2: LoRA at its best rate on all / MLP / attention modules, at the small and the large rank.</summary>
    public IReadOnlyList<SweepPlan> TargetSweeps(double loraLr)
    {
        var sweeps = new List<SweepPlan>
        {
            Write("targets", LoraBase, ("lora.r", [Int(plan.SmallRank)]), ("lora.target_modules", ["all", "mlp", "attention"]),
                ("optimizer.lr", Lrs([loraLr]))),
        };
        sweeps.Add(plan.TargetsAtLargeRank
            ? Write("targets-large-rank", LoraBase, ("lora.r", [Int(plan.LargeRank)]), ("lora.target_modules", ["all", "mlp", "attention"]),
                ("optimizer.lr", Lrs([loraLr])))
            : Write("large-rank", LoraBase, ("lora.r", [Int(plan.LargeRank)]), ("optimizer.lr", Lrs([loraLr]))));
        return sweeps;
    }

    /// <summary>Stage 3: full finetuning at its best rate with weight decay, and with dropout (the regularisation baselines).</summary>
    public IReadOnlyList<SweepPlan> RegularisedSweeps(double fullLr) =>
    [
        Write("full-weight-decay", FullBase, ("optimizer.lr", Lrs([fullLr])), ("full.weight_decay", [Num(plan.WeightDecay)])),
        Write("full-dropout", FullBase, ("optimizer.lr", Lrs([fullLr])), ("full.dropout", [Num(plan.Dropout)])),
    ];

    // One sweep file: the base config, the grid (seed last, as the sweep file's expansion order has it), run_root.
    private SweepPlan Write(string name, string baseConfig, params (string Key, IReadOnlyList<string> Values)[] grid)
    {
        var lines = new List<string>
        {
            $"# loralab demo, stage '{name}': rerun with `loralab sweep run {name}.yaml` (points already finished are skipped)",
            $"name: {name}",
            "run_root: ../runs",
            $"base_config: {baseConfig}",
            "grid:",
        };
        foreach (var (key, values) in grid) lines.Add($"  {key}: [{string.Join(", ", values)}]");
        lines.Add($"  seed: [{string.Join(", ", plan.Seeds.Select(Int))}]");
        string path = Path.Combine(sweepDir, name + ".yaml");
        AtomicFile.WriteAllText(path, string.Join('\n', lines) + "\n");
        return SweepPlan.Load(path);
    }

    private static IReadOnlyList<string> Lrs(IEnumerable<double> lrs) => lrs.Select(Num).ToList();

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
