using System.CommandLine;
using LoraLab.Experiments.Demo;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab demo [--out DIR] [--quick] [--base DIR --source-text FILE]</c>: the study in miniature, nothing downloaded.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory (data, base model, runs, report)",
            DefaultValueFactory = _ => new DirectoryInfo("demo-out") };
        var quick = new Option<bool>("--quick") { Description = "the ≤ 3-minute version: smaller data, fewer steps and runs, one seed" };
        var baseDir = new Option<DirectoryInfo?>("--base") { Description = "finetune this Hugging Face model directory instead of pretraining one " +
            "(e.g. stories260K converted)" };
        var sourceText = new Option<FileInfo?>("--source-text") { Description = "with --base: source-domain text to measure forgetting on (e.g. " +
            "../shared/data/tinystories/TinyStories-valid-reduced.txt)" };
        var seed = new Option<int>("--seed") { Description = "seed for data, initialisation and sampling", DefaultValueFactory = _ => 1234 };
        var seeds = new Option<int?>("--seeds")
        {
            Description = "finetuning seeds per configuration (default 1 with --quick, 2 otherwise); verdicts compare seed by seed",
        };
        var command = new Command("demo", "Reproduce the study in miniature: pretrain a small model on generated stories, sweep full finetuning and " +
            "LoRA on generated arithmetic, and judge the paper's seven findings.")
        {
            outDir, quick, baseDir, sourceText, seed, seeds,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var b = parse.GetValue(baseDir);
            var s = parse.GetValue(sourceText);
            if (b is not null && s is null) throw new LoraLabException("--base needs --source-text FILE: the source-domain text on which forgetting " +
                "is measured.");
            var summary = new DemoRunner(new DemoOptions
            {
                OutDir = parse.GetValue(outDir)!.FullName,
                Quick = parse.GetValue(quick),
                BaseDir = b?.FullName,
                SourceText = s?.FullName,
                Seed = parse.GetValue(seed),
                Seeds = parse.GetValue(seeds),
            }).Run();
            Console.Out.WriteLine($"report: {summary.ReportHtml}");
            return 0;
        }));
        return command;
    }
}
