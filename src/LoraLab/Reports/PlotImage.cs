using ScottPlot;

namespace LoraLab.Reports;

/// <summary>Renders a ScottPlot plot to PNG bytes in memory (no window, no display needed).</summary>
internal static class PlotImage
{
    public static byte[] Png(Plot plot, int width, int height)
    {
        CheckSize(width, height);
        PlotFont.Require();
        if (PlotFont.Sans is { } font) plot.Font.Set(font);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>A grid of panels as one PNG; every panel gets the plot font.</summary>
    public static byte[] Png(Multiplot multiplot, int width, int height)
    {
        CheckSize(width, height);
        PlotFont.Require();
        if (PlotFont.Sans is { } font)
            foreach (var plot in multiplot.GetPlots()) plot.Font.Set(font);
        using var image = multiplot.Render(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    private static void CheckSize(int width, int height)
    {
        if (width < 100 || height < 100) throw new ArgumentOutOfRangeException(nameof(width),
            $"plot size {width} × {height} is too small; use at least 100 × 100.");
    }
}
