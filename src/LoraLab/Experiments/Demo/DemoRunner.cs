using System.Diagnostics;
using System.Globalization;
using LoraLab.Checkpoints;
using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Tokenization;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The study in miniature, composed of the library's parts: generated data (<see cref="DemoData"/>), a base model
/// pretrained on the source domain (<see cref="DemoBaseModel"/>), the finetuning runs as sweeps
/// (<see cref="DemoSweeps"/>, run by <see cref="SweepRunner"/> with <see cref="DemoPointRunner"/>), the seven findings
/// (<see cref="DemoFindings"/>) and the report (<see cref="DemoReport"/>). Stages: each method's learning-rate sweep;
/// at LoRA's best rate its target modules and ranks; at full finetuning's best rate its regularised variants.
/// </summary>
public sealed class DemoRunner
{
    private readonly DemoOptions options;
    private readonly DemoPlan plan;
    private readonly TextWriter log;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>The demo of <paramref name="options"/>; <paramref name="plan"/> replaces its plan (tests run a tiny one).</summary>
    public DemoRunner(DemoOptions options, DemoPlan? plan = null)
    {
        this.options = options;
        this.plan = plan ?? DemoPlan.For(options);
        log = options.Log;
    }

    public DemoPlan Plan => plan;

    /// <summary>Runs everything; returns where the report is and the findings.</summary>
    public DemoSummary Run()
    {
        string outDir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(outDir);
        Say($"LoraLab demo ({(options.Quick ? "quick" : "full")}, {plan.Seeds.Count} seed(s)) → {outDir}");
        var files = DemoData.Write(Path.Combine(outDir, "data"), plan.Data);
        Say($"data: {plan.Data.SourceTrainStories} stories, {plan.Data.TargetTrainProblems} arithmetic problems ({files.Directory})");

        string baseDir = new DemoBaseModel(options, plan, files, log).Prepare(Path.Combine(outDir, "base"));
        var tokenizer = TokenizerLoader.LoadFromDirectory(baseDir);
        var test = ArithmeticProblems.ReadJsonl(files.TargetTest);
        var evaluator = new DemoEvaluator(tokenizer, test, HeldOut(files), options.BaseDir is null ? ClozeTest.Load(files.Cloze) : null, plan.SeqLen);
        DemoMetrics baseline;
        DiversityResult baseDiversity;
        using (var model = LlamaCheckpoint.Load(baseDir))
        {
            baseline = evaluator.Evaluate(model, 0, 0);
            baseDiversity = DemoDiversity.Measure(model, tokenizer, test, plan, options.Seed);
        }
        Say(F($"base model: target loss {baseline.TargetLoss:F3}, target acc {baseline.TargetAccuracy:P0}, ") +
            F($"source loss {baseline.SourceLoss:F3}, cloze acc {DemoReport.Pct(baseline.ClozeAccuracy)}"));

        // A fresh run root: the findings read this process's runs only.
        var sweeps = new DemoSweeps(outDir, plan, baseDir, files);
        if (Directory.Exists(sweeps.RunRoot)) Directory.Delete(sweeps.RunRoot, recursive: true);
        var runner = new DemoPointRunner(plan, baseDir, tokenizer, evaluator, baseline, test, log);

        Stage("learning-rate sweep, full finetuning", sweeps.FullLrSweep(), runner);
        Stage("learning-rate sweep, LoRA (all modules)", sweeps.LoraLrSweep(), runner);
        var runs = runner.Results.Values.ToList();
        double fullLr = DemoFindings.BestLr(runs, r => !r.IsLora);
        double loraLr = DemoFindings.BestLr(runs, r => r.IsLora);
        Say(F($"best learning rate by final target loss: full {Lr(fullLr)}, LoRA {Lr(loraLr)}"));
        foreach (var sweep in sweeps.TargetSweeps(loraLr)) Stage($"LoRA targets and ranks at lr {Lr(loraLr)}", sweep, runner);
        foreach (var sweep in sweeps.RegularisedSweeps(fullLr)) Stage($"full finetuning regularised, lr {Lr(fullLr)}", sweep, runner);

        runs = runner.Results.Values.ToList();
        var study = new DemoStudy(plan, baseline, baseDiversity, runs, fullLr, loraLr);
        var findings = DemoFindings.Evaluate(study);
        var summary = DemoReport.Write(outDir, study, findings, options);
        DemoReport.PrintSummary(Console.Out, study, findings);
        Say($"report: {summary.ReportHtml} ({clock.Elapsed.TotalSeconds:F0} s in all)");
        return summary;
    }

    private void Stage(string title, SweepPlan sweep, DemoPointRunner runner)
    {
        Say($"{title}: {sweep.Points.Count} run(s) of {plan.FinetuneSteps} steps ({sweep.Definition.SourceFile})");
        // A failed point (e.g. training diverged at the sweep's highest rate) is a result, not an error: it is logged
        // with its error.log and left out of the findings, which say so where a comparison lacks its run.
        var result = SweepRunner.Run(sweep, runner, new SweepRunOptions { Log = log }, CancellationToken.None);
        foreach (string id in result.FailedIds)
            Say($"run {id} failed; see {Path.Combine(sweep.RunRoot, id, SweepRunner.ErrorLogName)}");
    }

    private IReadOnlyList<string> HeldOut(DemoDataFiles files)
    {
        if (options.BaseDir is null) return Perplexity.SplitDocuments(File.ReadAllText(files.SourceHeldOut), "<|endoftext|>");
        string text = options.SourceText ?? throw new LoraLabException("--base needs source-domain text (--source-text)");
        return Perplexity.SplitDocuments(File.ReadAllText(text), "<|endoftext|>").Take(plan.Data.SourceHeldOutStories).ToList();
    }

    private static string Lr(double lr) => Reports.ReportFormat.LearningRate(lr);

    private void Say(string message) => log.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
