namespace LoraLab.Experiments;

/// <summary>
/// Where <c>loralab sweep run</c> gets its <see cref="ISweepPointRunner"/>: the application registers a factory in
/// <see cref="Default"/> (e.g. the trainer + evaluator runner, at start-up: <c>SweepRunners.Default ??= plan =&gt; new MyRunner(plan)</c>);
/// tests put a fake there. Until one is registered, <see cref="Resolve"/> fails with a message saying so.
/// </summary>
public static class SweepRunners
{
    private static volatile Func<SweepPlan, ISweepPointRunner>? _default;

    /// <summary>The factory used by <c>sweep run</c>; null when none is registered.</summary>
    public static Func<SweepPlan, ISweepPointRunner>? Default
    {
        get => _default;
        set => _default = value;
    }

    /// <summary>Creates the runner for a plan.</summary>
    public static ISweepPointRunner Resolve(SweepPlan plan) =>
        (Default ?? throw new LoraLabException(
            $"{plan.Definition.SourceFile}: no sweep point runner is registered in this build of loralab " +
            "(LoraLab.Experiments.SweepRunners.Default); it must be wired to the trainer and evaluator before 'sweep run' can train"))(plan);
}
