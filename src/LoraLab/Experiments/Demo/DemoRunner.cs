using System.Diagnostics;
using LoraLab.Analysis;
using LoraLab.Checkpoints;
using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The study in miniature: build a base model on a generated source domain (stories), finetune it on a generated
/// target domain (arithmetic word problems) with full finetuning and LoRA at several ranks, measure learning and
/// forgetting at checkpoints, analyse ΔW's spectrum and generation diversity, and write the report.
/// </summary>
public sealed class DemoRunner
{
    private readonly DemoOptions options;
    private readonly DemoPlan plan;
    private readonly TextWriter log;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public DemoRunner(DemoOptions options)
    {
        this.options = options;
        plan = DemoPlan.For(options);
        log = options.Log;
    }

    public DemoPlan Plan => plan;

    /// <summary>Runs everything; returns the path of report.html.</summary>
    public DemoSummary Run()
    {
        string outDir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(outDir);
        Say($"LoraLab demo ({(options.Quick ? "quick" : "full")}) → {outDir}");
        var files = DemoData.Write(Path.Combine(outDir, "data"), plan.Data);
        Say($"data: {plan.Data.SourceTrainStories} stories, {plan.Data.TargetTrainProblems} arithmetic problems ({files.Directory})");

        var baseModel = new DemoBaseModel(options, plan, files, log);
        string baseDir = baseModel.Prepare(Path.Combine(outDir, "base"));
        var tokenizer = TokenizerLoader.LoadFromDirectory(baseDir);
        var test = ArithmeticProblems.ReadJsonl(files.TargetTest);
        var heldOut = options.BaseDir is null
            ? Perplexity.SplitDocuments(File.ReadAllText(files.SourceHeldOut), "<|endoftext|>")
            : Perplexity.SplitDocuments(File.ReadAllText(options.SourceText ?? throw new LoraLabException("--base needs source-domain text (--source-text)")), "<|endoftext|>").Take(plan.Data.SourceHeldOutStories).ToList();
        var cloze = options.BaseDir is null ? ClozeTest.Load(files.Cloze) : null;
        var evaluator = new DemoEvaluator(tokenizer, test, heldOut, cloze, plan.SeqLen);

        DemoMetrics baseline;
        DiversityResult baseDiversity;
        using (var model = LlamaCheckpoint.Load(baseDir))
        {
            baseline = evaluator.Evaluate(model, 0);
            baseDiversity = DemoDiversity.Measure(model, tokenizer, test, plan, options.Seed);
        }
        Say($"base model: target loss {baseline.TargetLoss:F3}, target acc {baseline.TargetAccuracy:P0}, source loss {baseline.SourceLoss:F3}, cloze acc {Fmt(baseline.ClozeAccuracy)}");

        var runs = new List<DemoRunResult>();
        foreach (var (method, rank, lr) in plan.Runs)
        {
            var run = new DemoFinetune(options, plan, files, baseDir, tokenizer, evaluator, baseline, log).Run(method, rank, lr, Path.Combine(outDir, "runs"));
            runs.Add(run);
            Say($"{run.Label}: target loss {run.Final.TargetLoss:F3} (acc {run.Final.TargetAccuracy:P0}), source loss {run.Final.SourceLoss:F3}, ΔW rank {run.MeanDeltaRank:F1}, distinct-2 {run.Diversity.Distinct2:F3} [{run.Seconds:F0} s]");
        }

        var findings = DemoFindings.Evaluate(baseline, baseDiversity, runs);
        var summary = DemoReport.Write(outDir, baseline, baseDiversity, runs, findings, options);
        DemoReport.PrintSummary(Console.Out, baseline, baseDiversity, runs, findings);
        Say($"report: {summary.ReportHtml} ({clock.Elapsed.TotalSeconds:F0} s in all)");
        return summary;
    }

    private void Say(string message) => log.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");

    private static string Fmt(double v) => double.IsNaN(v) ? "n/a" : v.ToString("P0");
}
