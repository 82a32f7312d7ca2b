using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Training.Logging;

namespace LoraLab.Experiments;

/// <summary>
/// Runs a sweep's points with an <see cref="ISweepPointRunner"/>, resumably: a point is FINISHED when
/// <c>run_root/point_id/result.json</c> exists with status ok, and finished points are skipped. For every other
/// point it creates the run directory, writes <c>point.json</c> (id, index, overrides, eval settings), calls the
/// runner, and writes <c>result.json</c> atomically from what it returns — status failed (with the error, and the
/// exception's stack in <c>error.log</c>) when it reports failure or throws. A failed point does not stop the sweep
/// (unless <see cref="SweepRunOptions.FailFast"/>) and is run again the next time. Cancellation writes no result.
/// </summary>
public static class SweepRunner
{
    public const string PointFileName = "point.json";

    public const string ErrorLogName = "error.log";

    public static SweepRunSummary Run(SweepPlan plan, ISweepPointRunner runner, SweepRunOptions options, CancellationToken cancellationToken) =>
        Run(plan, () => runner, options, cancellationToken);

    /// <summary>As above; <paramref name="runnerFactory"/> is called once, only if some point needs to run.</summary>
    public static SweepRunSummary Run(SweepPlan plan, Func<ISweepPointRunner> runnerFactory, SweepRunOptions options, CancellationToken cancellationToken)
    {
        var points = options.Index is int i ? [plan.At(i)] : plan.Points;
        var log = options.Log ?? TextWriter.Null;
        bool updateIndex = options.UpdateIndex ?? options.Index == null;
        using var index = updateIndex ? SweepIndex.Open(plan.RunRoot) : null;
        ISweepPointRunner? runner = null;
        int ran = 0, skipped = 0;
        var failed = new List<string>();
        var finished = points.Where(p => IsFinished(p, log)).Select(p => p.Id).ToHashSet();
        var progress = new ProgressLine(log, points.Count - finished.Count, 0); // ETA over the points left to run
        foreach (var point in points)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string tag = $"[{point.Index}/{plan.Points.Count}] {point.Id}";
            if (finished.Contains(point.Id))
            {
                skipped++;
                log.WriteLine($"{tag}: finished, skipped");
                continue;
            }
            runner ??= runnerFactory();
            progress.Update(ran, "points to run", $"{tag}: running");
            var record = RunOne(point, runner, cancellationToken);
            SweepResultFile.Write(point.ResultPath, record);
            index?.Upsert(record);
            ran++;
            if (record.Result.Status == SweepPointStatus.Ok)
            {
                log.WriteLine($"{tag}: ok in {record.ElapsedSeconds?.ToString("F1", CultureInfo.InvariantCulture)} s");
                continue;
            }
            failed.Add(point.Id);
            log.WriteLine($"{tag}: FAILED: {record.Result.Error}");
            if (options.FailFast) return new SweepRunSummary(ran, skipped, failed, StoppedEarly: true);
        }
        return new SweepRunSummary(ran, skipped, failed, StoppedEarly: false);
    }

    /// <summary>True when the point's result.json exists and says ok (an unreadable file counts as not finished).</summary>
    public static bool IsFinished(SweepPoint point, TextWriter? log = null)
    {
        try
        {
            return SweepResultFile.TryRead(point.ResultPath) is { Result.Status: SweepPointStatus.Ok };
        }
        catch (LoraLabException e)
        {
            log?.WriteLine($"note: {e.Message}; running the point again");
            return false;
        }
    }

    private static SweepResultRecord RunOne(SweepPoint point, ISweepPointRunner runner, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(point.RunDir);
        File.Delete(Path.Combine(point.RunDir, ErrorLogName));
        WritePointFile(point);
        var started = DateTimeOffset.UtcNow;
        SweepPointResult result;
        try
        {
            result = runner.Run(point, point.RunDir, cancellationToken)
                ?? SweepPointResult.Failed("the point runner returned no result");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            AtomicFile.WriteAllText(Path.Combine(point.RunDir, ErrorLogName), e + "\n");
            string message = e is LoraLabException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            result = SweepPointResult.Failed(message.ReplaceLineEndings(" "));
        }
        return SweepResultRecord.From(point, result, started, DateTimeOffset.UtcNow);
    }

    private static void WritePointFile(SweepPoint point)
    {
        var o = new JsonObject
        {
            ["point_id"] = point.Id,
            ["index"] = point.Index,
            ["sweep"] = point.SweepName,
            ["overrides"] = new JsonArray(point.Overrides.Select(s => (JsonNode?)s).ToArray()),
            ["config_overrides"] = new JsonArray(point.ConfigOverrides.Select(s => (JsonNode?)s).ToArray()),
            ["base_config"] = point.Config.SourceFile,
            ["eval"] = point.Eval.Settings.DeepClone(),
        };
        AtomicFile.WriteAllText(Path.Combine(point.RunDir, PointFileName), o.ToJsonString(JsonFormats.Indented) + "\n");
    }
}
