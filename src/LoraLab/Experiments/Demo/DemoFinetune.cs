using System.Diagnostics;
using LoraLab.Analysis;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Reports;
using LoraLab.Tokenization;
using LoraLab.Training;

namespace LoraLab.Experiments.Demo;

/// <summary>One finetuning run of the demo: train with evaluations at checkpoints, then spectrum and diversity.</summary>
public sealed class DemoFinetune
{
    private readonly DemoOptions options;
    private readonly DemoPlan plan;
    private readonly DemoDataFiles files;
    private readonly string baseDir;
    private readonly ITokenizer tokenizer;
    private readonly DemoEvaluator evaluator;
    private readonly DemoMetrics baseline;
    private readonly TextWriter log;

    public DemoFinetune(DemoOptions options, DemoPlan plan, DemoDataFiles files, string baseDir, ITokenizer tokenizer,
        DemoEvaluator evaluator, DemoMetrics baseline, TextWriter log)
    {
        this.options = options;
        this.plan = plan;
        this.files = files;
        this.baseDir = baseDir;
        this.tokenizer = tokenizer;
        this.evaluator = evaluator;
        this.baseline = baseline;
        this.log = log;
    }

    public static string RunId(string method, int? rank, double lr) =>
        method == "lora" ? $"lora-r{rank}-lr{lr:0.##e+0}" : $"full-lr{lr:0.##e+0}";

    public DemoRunResult Run(string method, int? rank, double lr, string runsDir)
    {
        var clock = Stopwatch.StartNew();
        string id = RunId(method, rank, lr);
        string runDir = Path.Combine(runsDir, id);
        var config = DemoConfigs.Finetune(baseDir, files.TargetTrain, runDir, method, rank, lr, plan, options.Seed);
        var evalSteps = Enumerable.Range(1, plan.EvalPoints).Select(i => (long)Math.Round((double)plan.FinetuneSteps * i / plan.EvalPoints)).ToHashSet();
        var evaluations = new List<DemoMetrics> { baseline };
        var losses = new List<(long, double)>();
        log.WriteLine($"finetuning {id} ({plan.FinetuneSteps} steps) …");
        using var trainer = new Trainer(config, new TrainerOptions
        {
            Tokenizer = tokenizer,
            Console = TextWriter.Null,
            AfterStep = (t, step) =>
            {
                if (t.LastLoss is double l) losses.Add((step, l));
                if (evalSteps.Contains(step)) evaluations.Add(evaluator.Evaluate(t.Model, step));
            },
        });
        trainer.Setup();
        trainer.Train();
        string final = trainer.SaveFinal();
        var analysis = new SpectrumAnalysis(seed: options.Seed);
        var spectrum = method == "lora" ? analysis.AnalyseAdapter(baseDir, final) : analysis.CompareModels(baseDir, final);
        SpectrumAnalysis.Write(spectrum, Path.Combine(runDir, "spectrum"), analysis.Threshold);
        var diversity = DemoDiversity.Measure(trainer.Model, tokenizer, ArithmeticProblems.ReadJsonl(files.TargetTest), plan, options.Seed);
        var result = new DemoRunResult
        {
            RunId = id, Method = method, Rank = rank, LearningRate = lr, RunDir = runDir,
            Evaluations = evaluations, TrainingLoss = losses, Spectrum = spectrum, Diversity = diversity,
            Seconds = clock.Elapsed.TotalSeconds,
        };
        DemoReport.WriteRunRecord(result);
        return result;
    }
}
