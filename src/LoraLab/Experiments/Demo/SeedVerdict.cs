using System.Globalization;
using LoraLab.Reports;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// A claim judged seed by seed: each seed gives a margin in the claim's favour (&gt; 0: it held at that seed). The claim
/// holds when every seed's margin exceeds the tolerance, does not hold when every seed's is below −tolerance, and is
/// inconclusive otherwise (seeds disagree, or the difference is within the tolerance).
/// </summary>
public static class SeedVerdict
{
    public static FindingVerdict Of(IReadOnlyList<double> margins, double tolerance)
    {
        var m = margins.Where(double.IsFinite).ToList();
        if (m.Count == 0) return FindingVerdict.Inconclusive;
        if (m.All(x => x > tolerance)) return FindingVerdict.Holds;
        if (m.All(x => x < -tolerance)) return FindingVerdict.DoesNotHold;
        return FindingVerdict.Inconclusive;
    }

    /// <summary>Per-seed outcomes combined: all hold → holds, none hold → does not hold, else inconclusive.</summary>
    public static FindingVerdict All(IReadOnlyList<bool?> holds)
    {
        if (holds.Count == 0 || holds.Any(h => h is null)) return FindingVerdict.Inconclusive;
        if (holds.All(h => h == true)) return FindingVerdict.Holds;
        return holds.All(h => h == false) ? FindingVerdict.DoesNotHold : FindingVerdict.Inconclusive;
    }

    /// <summary>"+0.123 (1 seed)" or "mean +0.123, seeds +0.100 … +0.150 (3 seeds)".</summary>
    public static string Spread(IReadOnlyList<double> values, string format = "+0.000;-0.000")
    {
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        if (values.Count == 0) return "no runs";
        if (values.Count == 1) return $"{F(values[0])} (1 seed: no spread)";
        return $"mean {F(values.Average())}, seeds {F(values.Min())} … {F(values.Max())} ({values.Count} seeds)";
    }

    /// <summary>"+0.12" (1 seed) or "+0.12 (seeds +0.10…+0.15)": <see cref="Spread"/> in brief, for values listed side by side.</summary>
    public static string Brief(IReadOnlyList<double> values)
    {
        static string F(double v) => v.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
        return values.Count == 1 ? F(values[0]) : $"{F(values.Average())} (seeds {F(values.Min())}…{F(values.Max())})";
    }
}
