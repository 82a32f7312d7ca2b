using System.CommandLine;
using LoraLab.Reports;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab report --runs DIR --out DIR</c>: the learning-vs-forgetting report (PNG plots, HTML, Markdown).</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo>("--runs") { Description = "directory with report.json, or with */run_record.json files (+ optional report_settings.json)", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory for report.html, summary.md and the PNG plots", Required = true };
        var command = new Command("report", "Render the learning-vs-forgetting report of a set of runs.") { runs, outDir };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var data = RunCollection.Collect(parse.GetValue(runs)!.FullName);
            string html = HtmlReport.Write(data, parse.GetValue(outDir)!.FullName);
            Console.Out.WriteLine(html);
            Console.Error.WriteLine($"{data.Runs.Count} runs; wrote {html}, summary.md and the plots");
            return 0;
        }));
        return command;
    }
}
