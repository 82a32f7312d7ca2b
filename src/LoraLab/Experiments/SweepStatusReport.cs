using System.Globalization;
using System.Text;

namespace LoraLab.Experiments;

/// <summary>
/// The text of <c>sweep status</c> and <c>sweep list</c>: one line per grid point, in index order, then counts.
/// Status is ok, failed or pending (no result.json).
/// </summary>
public static class SweepStatusReport
{
    /// <summary>The status table from the index rows (after <see cref="SweepIndex.Sync"/>).</summary>
    public static string Format(SweepPlan plan, IReadOnlyList<SweepIndexRow> rows)
    {
        var byId = rows.ToDictionary(r => r.PointId, StringComparer.Ordinal);
        int width = Math.Max(5, plan.Points.Max(p => p.Id.Length));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{"index",5}  {"point".PadRight(width)}  {"status",-7}  {"loss",10}  {"target",10}  {"forgetting",10}\n");
        int ok = 0, failed = 0, pending = 0;
        var errors = new List<string>();
        foreach (var p in plan.Points)
        {
            byId.TryGetValue(p.Id, out var row);
            string status = row?.Status ?? "pending";
            if (status == "ok") ok++;
            else if (status == "failed") failed++;
            else pending++;
            if (row is { Status: "failed" }) errors.Add($"  {p.Id}: {row.Error}");
            sb.Append(CultureInfo.InvariantCulture,
                $"{p.Index,5}  {p.Id.PadRight(width)}  {status,-7}  {Num(row?.FinalLoss),10}  {Num(row?.TargetScore),10}  {Num(row?.ForgettingScore),10}\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"{plan.Points.Count} points: {ok} ok, {failed} failed, {pending} pending\n");
        int others = rows.Count(r => !plan.Points.Any(p => p.Id == r.PointId));
        if (others > 0) sb.Append(CultureInfo.InvariantCulture, $"{others} more result(s) in {plan.RunRoot} belong to points no longer in this grid\n");
        if (errors.Count > 0) sb.Append("failures:\n").Append(string.Join("\n", errors)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The expanded grid: index, id and the point's overrides.</summary>
    public static string List(SweepPlan plan)
    {
        int width = Math.Max(5, plan.Points.Max(p => p.Id.Length));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{"index",5}  {"point".PadRight(width)}  overrides\n");
        foreach (var p in plan.Points)
            sb.Append(CultureInfo.InvariantCulture, $"{p.Index,5}  {p.Id.PadRight(width)}  {string.Join(' ', p.Overrides)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"{plan.Points.Count} points (use --index 0-{plan.Points.Count - 1}); runs in {plan.RunRoot}\n");
        return sb.ToString();
    }

    private static string Num(double? v) => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "-";
}
