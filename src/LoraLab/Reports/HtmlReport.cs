using System.Net;
using System.Text;

namespace LoraLab.Reports;

/// <summary>
/// Writes the learning-vs-forgetting report to a directory: report.html (self-contained, figures embedded as base64
/// PNG data URIs), summary.md (same table and findings) and the figures as PNG files. Every file is written atomically.
/// </summary>
public static class HtmlReport
{
    public const string HtmlFile = "report.html";
    public const string MarkdownFile = "summary.md";

    /// <summary>
    /// Validates <paramref name="data"/>, renders and writes everything; returns the path of report.html.
    /// <paramref name="leadFigures"/> (e.g. one per finding) come before the standard figures.
    /// </summary>
    public static string Write(ReportData data, string outDir, IReadOnlyList<ReportFigure>? leadFigures = null)
    {
        ReportValidator.Validate(data);
        var figures = (leadFigures ?? []).Concat(ReportFigures.Render(data)).ToList();
        var table = ResultsTable.Build(data);
        Directory.CreateDirectory(outDir);
        foreach (var fig in figures) AtomicFile.WriteAllBytes(Path.Combine(outDir, fig.FileName), fig.Png);
        AtomicFile.WriteAllText(Path.Combine(outDir, MarkdownFile), MarkdownReport.Render(data, table, figures));
        string html = Path.Combine(outDir, HtmlFile);
        AtomicFile.WriteAllText(html, Render(data, table, figures));
        return html;
    }

    /// <summary>The HTML page as a string.</summary>
    public static string Render(ReportData data, ResultsTable table, IReadOnlyList<ReportFigure> figures)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<title>").Append(E(data.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        h.Append("<h1>").Append(E(data.Title)).Append("</h1>\n");
        if (!string.IsNullOrWhiteSpace(data.Subtitle)) h.Append("<p class=\"subtitle\">").Append(E(data.Subtitle)).Append("</p>\n");

        h.Append("<h2>Findings</h2>\n");
        if (data.Findings.Count == 0) h.Append("<p>No findings recorded.</p>\n");
        else
        {
            h.Append("<ul class=\"findings\">\n");
            foreach (var f in data.Findings)
            {
                string css = f.Verdict switch { FindingVerdict.Holds => "holds", FindingVerdict.DoesNotHold => "fails", _ => "unsure" };
                h.Append("<li><span class=\"").Append(css).Append("\">").Append(f.VerdictText).Append("</span> ")
                    .Append(E(f.Statement));
                if (!string.IsNullOrWhiteSpace(f.Evidence)) h.Append("<div class=\"evidence\">").Append(E(f.Evidence)).Append("</div>");
                h.Append("</li>\n");
            }
            h.Append("</ul>\n");
        }

        h.Append("<h2>Results</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>");
        foreach (var c in table.Header) h.Append("<th>").Append(E(c)).Append("</th>");
        h.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            h.Append("<tr>");
            foreach (var c in row) h.Append("<td>").Append(E(c)).Append("</td>");
            h.Append("</tr>\n");
        }
        h.Append("</tbody>\n</table>\n</div>\n<p class=\"note\">Scores are at each run's last checkpoint. ")
            .Append(E(data.Target.AxisLabel)).Append("; ").Append(E(data.Forgetting.AxisLabel))
            .Append(". On frontier: how many of the run's checkpoints are on the Pareto frontier of all checkpoints.</p>\n");

        h.Append("<h2>Figures</h2>\n");
        foreach (var fig in figures)
        {
            h.Append("<figure>\n<h3>").Append(E(fig.Title)).Append("</h3>\n<img alt=\"").Append(E(fig.Title))
                .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(fig.Png)).Append("\">\n<figcaption>")
                .Append(E(fig.Caption)).Append("</figcaption>\n</figure>\n");
        }
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>HTML-escapes text for element content and double-quoted attributes (&amp; &lt; &gt; &quot; &#39;).</summary>
    public static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        body { font-family: system-ui, "DejaVu Sans", sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; }
        .subtitle { color: #555; margin-top: 0; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
        .scroll { overflow-x: auto; }
        th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
        td { white-space: nowrap; }
        td:first-child { white-space: normal; overflow-wrap: break-word; min-width: 6em; max-width: 16em; }
        th { background: #f2f2f2; }
        tbody tr:nth-child(even) { background: #fafafa; }
        .findings { list-style: none; padding-left: 0; }
        .findings li { margin: 0.6em 0; }
        .holds, .fails, .unsure { display: inline-block; min-width: 7.5em; padding: 0.1em 0.5em; border-radius: 4px; color: #fff; font-weight: bold;
            font-size: 0.85em; text-align: center; }
        .holds { background: #2e7d32; }
        .fails { background: #c62828; }
        .unsure { background: #9e9e9e; }
        .evidence { color: #555; font-size: 0.9em; margin-left: 8.5em; }
        .note { color: #555; font-size: 0.9em; }
        figure { margin: 1.5em 0; }
        figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption { color: #555; font-size: 0.9em; }

        """;
}
