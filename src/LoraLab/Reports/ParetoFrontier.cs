namespace LoraLab.Reports;

/// <summary>
/// The Pareto frontier of points scored on two axes, each with its own direction: a point is on the frontier when no
/// other point is at least as good on both axes and strictly better on one. Equal points do not dominate each other,
/// so duplicates of a frontier point are all on it.
/// </summary>
public static class ParetoFrontier
{
    /// <summary>True when <paramref name="a"/> dominates <paramref name="b"/>.</summary>
    public static bool Dominates((double X, double Y) a, (double X, double Y) b, bool xHigherIsBetter, bool yHigherIsBetter)
    {
        int cx = Better(a.X, b.X, xHigherIsBetter), cy = Better(a.Y, b.Y, yHigherIsBetter);
        return cx >= 0 && cy >= 0 && (cx > 0 || cy > 0);
    }

    /// <summary>
    /// Indices of the non-dominated points, ordered by x ascending (ties by y ascending), ready to draw as a line.
    /// O(n²), fine for the few hundred checkpoints of a study.
    /// </summary>
    public static int[] Indices(IReadOnlyList<(double X, double Y)> points, bool xHigherIsBetter, bool yHigherIsBetter)
    {
        for (int i = 0; i < points.Count; i++)
            if (!double.IsFinite(points[i].X) || !double.IsFinite(points[i].Y))
                throw new ArgumentException($"point {i} ({points[i].X}, {points[i].Y}) is not finite", nameof(points));
        var front = new List<int>();
        for (int i = 0; i < points.Count; i++)
        {
            bool dominated = false;
            for (int j = 0; j < points.Count && !dominated; j++)
                dominated = j != i && Dominates(points[j], points[i], xHigherIsBetter, yHigherIsBetter);
            if (!dominated) front.Add(i);
        }
        return front.OrderBy(i => points[i].X).ThenBy(i => points[i].Y).ThenBy(i => i).ToArray();
    }

    // +1 when a is better than b on this axis, -1 when worse, 0 when equal.
    private static int Better(double a, double b, bool higherIsBetter) =>
        a == b ? 0 : (a > b) == higherIsBetter ? 1 : -1;
}
