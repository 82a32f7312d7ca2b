using System.Net;
using System.Text.RegularExpressions;
using LoraLab.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Reports;

public class HtmlReportTests
{
    private const string EvilId = "<script>alert('x')</script>&r|1";

    private static readonly string[] Figures =
        ["learning_vs_forgetting.png", "training_loss.png", "over_training.png", "spectrum_heatmap.png", "spectrum_summary.png", "diversity.png"];

    /// <summary>
    /// Writes the fake study's report. Set LORALAB_REPORT_PREVIEW=/some/dir to keep it there for a look in a browser
    /// (the manual check); otherwise it goes to a temporary directory.
    /// </summary>
    [SkippableFact]
    public void WritesSelfContainedHtmlMarkdownAndPngs()
    {
        RequireFonts.Check();
        using var temp = new TempDir();
        string dir = Environment.GetEnvironmentVariable("LORALAB_REPORT_PREVIEW") is { Length: > 0 } keep ? keep : temp.Path;
        var data = FakeStudy.Create(firstRunId: EvilId);
        string htmlPath = HtmlReport.Write(data, dir);

        Assert.Equal(Path.Combine(dir, "report.html"), htmlPath);
        var names = Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Figures.Append("report.html").Append("summary.md").Order(StringComparer.Ordinal), names); // no .tmp-* left
        foreach (var f in Figures) ReportPlotsTests.AssertPng(File.ReadAllBytes(Path.Combine(dir, f)), 900,
            f.Contains("heatmap") || f.Contains("learning") || f.Contains("over_training") ? 600 : 500);

        string html = File.ReadAllText(htmlPath);
        // every figure embedded as a data URI whose base64 decodes to the same PNG written beside it
        var uris = Regex.Matches(html, "src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToArray();
        Assert.Equal(Figures.Length, uris.Length);
        for (int i = 0; i < Figures.Length; i++)
        {
            Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], uris[i][..8]);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, Figures[i])), uris[i]);
        }
        Assert.DoesNotContain("src=\"learning", html); // nothing refers to the files: the page is self-contained

        // escaping: the hostile run id appears only escaped
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;r|1</td>", html);
        // one table row per run, starting with its id, with the final scores of its last checkpoint
        foreach (var run in data.Runs)
        {
            var final = run.Checkpoints.MaxBy(c => c.Step)!;
            string target = final.Target.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Matches($"<tr><td>{Regex.Escape(WebUtility.HtmlEncode(run.RunId))}</td><td>{run.Method}</td>.*<td>{Regex.Escape(target)}</td>", html);
        }
        Assert.Equal(data.Runs.Count, Regex.Matches(html, "<tr><td>").Count);
        // findings with their verdicts
        Assert.Equal(2, Regex.Matches(html, "<span class=\"holds\">holds</span>").Count);
        Assert.Single(Regex.Matches(html, "<span class=\"fails\">does not hold</span>"));
        Assert.Contains("LoRA r=4 learns as much as r=64.", html);

        string md = File.ReadAllText(Path.Combine(dir, "summary.md"));
        var lines = md.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("| run | method | rank | lr |", StringComparison.Ordinal));
        Assert.True(header >= 0, "no results table header in summary.md");
        int columns = lines[header].Count(c => c == '|') - 1;
        Assert.Matches("^\\|( --- \\|)+$", lines[header + 1]);
        Assert.Equal(columns, lines[header + 1].Count(c => c == '|') - 1);
        for (int i = 0; i < data.Runs.Count; i++) Assert.StartsWith("| ", lines[header + 2 + i]);
        // the escaped id keeps its pipe from splitting the row, and its tag from becoming HTML
        Assert.StartsWith(@"| \<script\>alert('x')\</script\>\&r\|1 | full | – | 2e-5 |", lines[header + 2]);
        Assert.Equal(columns, Regex.Matches(lines[header + 2], @"(?<!\\)\|").Count - 1);
        Assert.Contains("- **does not hold**: LoRA r=4 learns as much as r=64.", md);
        Assert.Contains("![Learning vs forgetting](learning_vs_forgetting.png)", md);
    }

    [SkippableFact]
    public void OverwritesAnEarlierReportAtomically()
    {
        RequireFonts.Check();
        using var temp = new TempDir();
        var data = FakeStudy.Create();
        HtmlReport.Write(data, temp.Path);
        HtmlReport.Write(data with { Title = "second" }, temp.Path);
        Assert.Contains("<h1>second</h1>", File.ReadAllText(temp.File("report.html")));
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp-*"));
    }

    [Fact]
    public void InvalidDataIsRejectedBeforeAnythingIsWritten()
    {
        using var temp = new TempDir();
        var data = FakeStudy.Create();
        var bad = data with { Runs = data.Runs.Select((r, i) => i == 1 ? r with { Method = "qlora" } : r).ToList() };
        var e = Assert.Throws<LoraLabException>(() => HtmlReport.Write(bad, temp.Path));
        Assert.Contains("runs[1].method", e.Message);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
