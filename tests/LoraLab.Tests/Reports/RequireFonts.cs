using LoraLab.Reports;

namespace LoraLab.Tests.Reports;

/// <summary>
/// Plots need one system font (Debian: fonts-dejavu-core). Without one a rendering test skips with the reason, and
/// fails under CI=true so a CI image without fonts is noticed rather than silently untested.
/// </summary>
public static class RequireFonts
{
    public static void Check()
    {
        if (PlotFont.Available) return;
        const string why = "no system font installed (SkiaSharp looks in /usr/share/fonts); install fonts-dejavu-core";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("CI=true but " + why);
        Skip.If(true, why);
    }
}
