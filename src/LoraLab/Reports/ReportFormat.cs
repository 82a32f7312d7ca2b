using System.Globalization;

namespace LoraLab.Reports;

/// <summary>Culture-invariant number formatting shared by the HTML and Markdown reports and the plots.</summary>
public static class ReportFormat
{
    /// <summary>A learning rate as "2e-4", "1.5e-5", or "0.01" when it reads better plainly.</summary>
    public static string LearningRate(double lr) =>
        lr >= 1e-3 ? lr.ToString("0.####", CultureInfo.InvariantCulture) : lr.ToString("0.###e+0", CultureInfo.InvariantCulture);

    /// <summary>A score with four significant digits ("0.4213", "2.317").</summary>
    public static string Score(double? value) =>
        value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "–";

    /// <summary>A token count as "1.2M", "350k", "2.1B".</summary>
    public static string Tokens(long tokens) => tokens switch
    {
        >= 1_000_000_000 => (tokens / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (tokens / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (tokens / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => tokens.ToString(CultureInfo.InvariantCulture),
    };

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A share as a percentage: 0.9 → "90%", 0.995 → "99.5%".</summary>
    public static string Percent(double share) => (share * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
