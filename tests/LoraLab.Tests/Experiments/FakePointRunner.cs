using LoraLab.Experiments;

namespace LoraLab.Tests.Experiments;

/// <summary>
/// A point runner for tests: records every call, and returns values that are simple closed-form functions of the
/// point (so a test can recompute them independently); fails or throws for chosen ids.
/// </summary>
public sealed class FakePointRunner : ISweepPointRunner
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls
    {
        get { lock (_calls) return _calls.ToList(); }
    }

    /// <summary>Ids for which Run returns a failed result.</summary>
    public HashSet<string> FailIds { get; } = [];

    /// <summary>Ids for which Run throws.</summary>
    public HashSet<string> ThrowIds { get; } = [];

    /// <summary>Called at the start of Run (e.g. to cancel).</summary>
    public Action<SweepPoint>? OnRun { get; set; }

    public SweepPointResult Run(SweepPoint point, string runDir, CancellationToken cancellationToken)
    {
        lock (_calls) _calls.Add(point.Id);
        Assert.Equal(point.RunDir, runDir);
        Assert.True(Directory.Exists(runDir), "the run directory exists when the runner is called");
        OnRun?.Invoke(point);
        cancellationToken.ThrowIfCancellationRequested();
        if (ThrowIds.Contains(point.Id)) throw new InvalidOperationException("boom in " + point.Id);
        if (FailIds.Contains(point.Id)) return SweepPointResult.Failed("diverged: loss is NaN");
        File.WriteAllText(Path.Combine(runDir, "train.log"), "trained\n");
        return Expected(point);
    }

    /// <summary>The result the fake gives a point: loss = 2 + seed/10 + rank/1000, target = lr·1000, forgetting = rank/100.</summary>
    public static SweepPointResult Expected(SweepPoint point) => new()
    {
        FinalTrainLoss = 2 + point.Seed / 10.0 + (point.Rank ?? 0) / 1000.0,
        TargetScore = point.LearningRate * 1000,
        ForgettingScore = (point.Rank ?? 0) / 100.0,
        Metrics = new Dictionary<string, double> { ["gsm8k/exact_match"] = 0.25, ["hellaswag/acc_norm"] = 0.5 },
        Paths = new Dictionary<string, string> { ["train_log"] = "train.log" },
    };
}
