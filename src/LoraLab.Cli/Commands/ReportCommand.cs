using System.CommandLine;
using LoraLab.Reports;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab report --runs DIR --out DIR</c>: the learning-vs-forgetting report (PNG plots, HTML, Markdown).</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo>("--runs") { Description = "directory with report.json, or with */run_record.json files (+ optional " +
            "report_settings.json), or run directories evaluated with eval --run (or one such run)", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory for report.html, summary.md and the PNG plots", Required = true };
        var target = new Option<string?>("--target-metric") { Description = "for runs evaluated with eval --run: target_score (default), " +
            "forgetting_score or TASK/METRIC" };
        var forgetting = new Option<string?>("--forgetting-metric") { Description = "for runs evaluated with eval --run: forgetting_score (default " +
            "when present, else perplexity/nll_per_token) or TASK/METRIC" };
        var command = new Command("report", "Render the learning-vs-forgetting report of a set of runs.") { runs, outDir, target, forgetting };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var t = parse.GetValue(target) is string tt ? CurveMetric.Parse(tt, "--target-metric") : null;
            var f = parse.GetValue(forgetting) is string ff ? CurveMetric.Parse(ff, "--forgetting-metric") : null;
            var data = RunCollection.Collect(parse.GetValue(runs)!.FullName, t, f);
            string html = HtmlReport.Write(data, parse.GetValue(outDir)!.FullName);
            Console.Out.WriteLine(html);
            Console.Error.WriteLine($"{data.Runs.Count} runs; wrote {html}, summary.md and the plots");
            return 0;
        }));
        return command;
    }
}
