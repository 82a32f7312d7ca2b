namespace LoraLab.Experiments;

/// <summary>Options of <see cref="SweepRunner.Run(SweepPlan, Func{ISweepPointRunner}, SweepRunOptions, CancellationToken)"/>.</summary>
public sealed record SweepRunOptions
{
    /// <summary>Run only the point at this 0-based index (a cluster array task); null runs every point in order.</summary>
    public int? Index { get; init; }

    /// <summary>Stop at the first failed point (default: record it and go on).</summary>
    public bool FailFast { get; init; }

    /// <summary>
    /// Upsert each result into <c>run_root/index.sqlite</c> as it is written. Default (null): only when running the
    /// whole sweep in one process — array tasks on a shared filesystem should not all write one SQLite file
    /// (network filesystems' locks are unreliable); <c>sweep status</c> rebuilds the index from the result files.
    /// </summary>
    public bool? UpdateIndex { get; init; }

    /// <summary>Where progress lines go (null: nowhere).</summary>
    public TextWriter? Log { get; init; }
}
