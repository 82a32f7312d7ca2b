using System.Text;

namespace LoraLab.Reports;

/// <summary>
/// The Markdown summary (summary.md): title, findings, the results table and links to the figure files written beside it.
/// Text is escaped so a run id or statement cannot break the table or inject HTML into a rendered page.
/// </summary>
public static class MarkdownReport
{
    public static string Render(ReportData data, ResultsTable table, IReadOnlyList<ReportFigure> figures)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(Escape(data.Title)).Append('\n');
        if (!string.IsNullOrWhiteSpace(data.Subtitle)) md.Append('\n').Append(Escape(data.Subtitle)).Append('\n');

        md.Append("\n## Findings\n\n");
        if (data.Findings.Count == 0) md.Append("No findings recorded.\n");
        foreach (var f in data.Findings)
        {
            md.Append("- **").Append(f.VerdictText).Append("**: ").Append(Escape(f.Statement));
            if (!string.IsNullOrWhiteSpace(f.Evidence)) md.Append(" — ").Append(Escape(f.Evidence));
            md.Append('\n');
        }

        md.Append("\n## Results\n\n");
        md.Append(RowLine(table.Header)).Append('\n');
        md.Append('|').Append(string.Concat(table.Header.Select(_ => " --- |"))).Append('\n');
        foreach (var row in table.Rows) md.Append(RowLine(row)).Append('\n');
        md.Append($"\nScores are at each run's last checkpoint. {Escape(data.Target.AxisLabel)}; {Escape(data.Forgetting.AxisLabel)}. " +
            "On frontier: how many of the run's checkpoints are on the Pareto frontier of all checkpoints.\n");

        md.Append("\n## Figures\n");
        foreach (var fig in figures)
            md.Append($"\n### {Escape(fig.Title)}\n\n![{Escape(fig.Title)}]({fig.FileName})\n\n{Escape(fig.Caption)}\n");
        return md.ToString();
    }

    /// <summary>
    /// Backslash-escapes Markdown punctuation that could start emphasis, code, links, tables or HTML
    /// (CommonMark allows escaping any ASCII punctuation), and folds line breaks into spaces.
    /// </summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '\r' or '\n') { sb.Append(' '); continue; }
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#' or '!' or '&') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string RowLine(IEnumerable<string> cells) => "| " + string.Join(" | ", cells.Select(Escape)) + " |";
}
