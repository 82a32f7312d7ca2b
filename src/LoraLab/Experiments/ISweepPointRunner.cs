namespace LoraLab.Experiments;

/// <summary>
/// Trains and evaluates one grid point. <see cref="SweepRunner"/> calls it for every point that is not finished, with
/// the point's own directory (<c>run_root/point_id</c>, already created); it writes <c>result.json</c> from what this
/// returns, so an implementation need not (and should not) write it.
/// </summary>
/// <remarks>
/// Return <see cref="SweepPointResult.Failed"/> for a failure the runner understands; an exception is caught and
/// recorded as a failure too (its message becomes the error). Honour <paramref name="cancellationToken"/> by throwing
/// <see cref="OperationCanceledException"/>: a cancelled point gets no result.json and is run again next time.
/// The point's <see cref="SweepPoint.Config"/> is the full run config (base + grid overrides, save_folder set to
/// <c>runDir/checkpoints</c>) and <see cref="SweepPoint.Eval"/> the sweep's eval settings.
/// </remarks>
public interface ISweepPointRunner
{
    SweepPointResult Run(SweepPoint point, string runDir, CancellationToken cancellationToken);
}
