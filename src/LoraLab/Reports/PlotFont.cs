using SkiaSharp;

namespace LoraLab.Reports;

/// <summary>
/// The font the plots are drawn with. SkiaSharp (the Linux "NoDependencies" build ScottPlot uses) reads TrueType
/// files from the system font directories (/usr/share/fonts); with none installed every label, tick and legend would
/// silently vanish, so rendering refuses instead (<see cref="Require"/>). On Debian, fonts-dejavu-core is enough.
/// </summary>
public static class PlotFont
{
    private static readonly string[] SansFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica"];

    private static readonly Lazy<(bool Any, string? Sans)> Found = new(Find);

    /// <summary>True when at least one font family is installed.</summary>
    public static bool Available => Found.Value.Any;

    /// <summary>The first installed sans-serif family of a short list, or null (then ScottPlot's default is used).</summary>
    public static string? Sans => Found.Value.Sans;

    /// <summary>Throws <see cref="LoraLabException"/> when no font is installed.</summary>
    public static void Require()
    {
        if (!Available)
            throw new LoraLabException("no font found for the report's plots (SkiaSharp looks in /usr/share/fonts); " +
                "install one, e.g. `apt-get install fonts-dejavu-core` on Debian/Ubuntu.");
    }

    private static (bool, string?) Find()
    {
        var manager = SKFontManager.Default;
        // with no font files the manager still reports one family, with an empty name and a typeface of zero glyphs
        bool any = Enumerable.Range(0, manager.FontFamilyCount).Any(i => !string.IsNullOrEmpty(manager.GetFamilyName(i)));
        if (!any) return (false, null);
        foreach (string name in SansFonts)
        {
            using var face = manager.MatchFamily(name);
            if (face != null && string.Equals(face.FamilyName, name, StringComparison.OrdinalIgnoreCase)) return (true, name);
        }
        return (true, null);
    }
}
