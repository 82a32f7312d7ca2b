using ScottPlot;
using SkiaSharp;

namespace LoraLab.Reports;

/// <summary>Renders a ScottPlot plot to PNG bytes in memory (no window, no display needed).</summary>
internal static class PlotImage
{
    private static readonly string[] SansFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica"];

    // The first sans-serif family installed, or null: then ScottPlot's own default (whatever Skia falls back to) is kept.
    private static readonly Lazy<string?> Sans = new(() =>
        SansFonts.FirstOrDefault(name => SKFontManager.Default.MatchFamily(name) is { } face && Same(face, name)));

    public static byte[] Png(Plot plot, int width, int height)
    {
        if (width < 100 || height < 100) throw new ArgumentOutOfRangeException(nameof(width), $"plot size {width} × {height} is too small; use at least 100 × 100.");
        if (Sans.Value is { } font) plot.Font.Set(font);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static bool Same(SKTypeface face, string name)
    {
        bool same = string.Equals(face.FamilyName, name, StringComparison.OrdinalIgnoreCase);
        face.Dispose();
        return same;
    }
}
