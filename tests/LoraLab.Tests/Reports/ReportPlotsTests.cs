using LoraLab.Reports;
using SkiaSharp;

namespace LoraLab.Tests.Reports;

public class ReportPlotsTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and the IHDR chunk (first chunk, big-endian width and height) by hand.</summary>
    internal static void AssertPng(byte[] png, int width, int height)
    {
        Assert.True(png.Length > 5_000, $"PNG is only {png.Length} bytes");
        Assert.Equal(PngSignature, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(13, ReadBigEndian(png, 8)); // IHDR data length
        Assert.Equal(width, ReadBigEndian(png, 16));
        Assert.Equal(height, ReadBigEndian(png, 20));
    }

    /// <summary>Decodes with SkiaSharp and counts distinct colours: a blank or one-colour image fails.</summary>
    internal static int DistinctColors(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        return bitmap.Pixels.Select(p => (uint)p).Distinct().Count();
    }

    private static int ReadBigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];

    [SkippableFact]
    public void EveryPlotIsANonBlankPngOfTheRequestedSize()
    {
        RequireFonts.Check();
        var data = FakeStudy.Create();
        var plots = new (string Name, byte[]? Png, int W, int H)[]
        {
            ("learning", LearningForgettingPlot.Render(data, 640, 480), 640, 480),
            ("loss", LossCurvePlot.Render(data, 700, 400), 700, 400),
            ("heatmap", SpectrumHeatmapPlot.Render(data, 600, 500), 600, 500),
            ("spectrum", SpectrumSummaryPlot.Render(data, 800, 450), 800, 450),
            ("diversity", DiversityPlot.Render(data, 500, 300), 500, 300),
        };
        foreach (var (name, png, w, h) in plots)
        {
            Assert.True(png is not null, $"{name}: not rendered");
            AssertPng(png!, w, h);
            Assert.True(DistinctColors(png!) > 20, $"{name}: looks blank");
        }
    }

    [SkippableFact]
    public void OptionalPlotsAreSkippedWithoutData()
    {
        RequireFonts.Check();
        var data = FakeStudy.Create();
        var bare = data with
        {
            Runs = data.Runs.Select(r => r with { Spectrum = null,
                Checkpoints = r.Checkpoints.Select(c => c with { Diversity = null }).TakeLast(1).ToList() }).ToList(),
        };
        Assert.Null(OverTrainingPlot.Render(bare)); // one checkpoint per run: no curve over training
        Assert.Null(SpectrumHeatmapPlot.Render(bare));
        Assert.Null(SpectrumSummaryPlot.Render(bare));
        Assert.Null(DiversityPlot.Render(bare));
        Assert.Equal(["learning_vs_forgetting.png", "training_loss.png"], ReportFigures.Render(bare).Select(f => f.FileName));
    }

    [Fact]
    public void HeatmapPicksTheNamedRunAndOrdersModulesLikeHuggingFace()
    {
        var data = FakeStudy.Create() with { SpectrumRunId = "lora-r16" };
        Assert.Equal("lora-r16", SpectrumHeatmapPlot.PickRun(data)!.RunId);
        Assert.Equal("full-lr2e-5", SpectrumHeatmapPlot.PickRun(data with { SpectrumRunId = null })!.RunId);
        Assert.Equal(["q_proj", "v_proj", "down_proj", "lm_head", "z"], SpectrumHeatmapPlot.ModuleOrder(["z", "down_proj", "lm_head", "v_proj", "q_proj"]));
    }

    [Fact]
    public void StylesAreSharedByMethodAndRank()
    {
        var data = FakeStudy.Create();
        var runs = data.Runs.Append(data.Runs[2] with { RunId = "lora-r16-seed2" }).ToList();
        var styles = RunStyle.For(runs);
        Assert.Equal("Full", styles["full-lr2e-5"].Label);
        Assert.Equal("LoRA r=16", styles["lora-r16-seed2"].Label);
        Assert.Equal(styles["lora-r16"], styles["lora-r16-seed2"]);
        Assert.Equal(4, styles.Values.Distinct().Count());
        Assert.Equal(4, styles.Values.Select(s => s.Marker).Distinct().Count());
    }
}
