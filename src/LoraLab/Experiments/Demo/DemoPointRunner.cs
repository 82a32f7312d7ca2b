using System.Diagnostics;
using System.Globalization;
using LoraLab.Analysis;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Reports;
using LoraLab.Tokenization;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The demo's sweep point: finetune with <see cref="Trainer"/>, evaluating learning and forgetting at the plan's
/// checkpoints (forgetting-vs-tokens, the trade-off curve), then ΔW's spectrum and generation diversity of the final
/// model. Keeps every run's <see cref="DemoRunResult"/> by point id for the findings, and writes its run record.
/// </summary>
public sealed class DemoPointRunner : ISweepPointRunner
{
    private readonly DemoPlan plan;
    private readonly string baseDir;
    private readonly ITokenizer tokenizer;
    private readonly DemoEvaluator evaluator;
    private readonly DemoMetrics baseline;
    private readonly IReadOnlyList<ArithmeticProblem> test;
    private readonly TextWriter log;
    private readonly Dictionary<string, DemoRunResult> results = new();

    public DemoPointRunner(DemoPlan plan, string baseDir, ITokenizer tokenizer, DemoEvaluator evaluator, DemoMetrics baseline,
        IReadOnlyList<ArithmeticProblem> test, TextWriter log)
    {
        this.plan = plan;
        this.baseDir = baseDir;
        this.tokenizer = tokenizer;
        this.evaluator = evaluator;
        this.baseline = baseline;
        this.test = test;
        this.log = log;
    }

    /// <summary>The runs finished in this process, by point id.</summary>
    public IReadOnlyDictionary<string, DemoRunResult> Results => results;

    public SweepPointResult Run(SweepPoint point, string runDir, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var config = point.Config;
        config.RunDir = runDir;
        var evalSteps = plan.EvalSteps();
        using var intruders = new DemoIntruders(baseDir);
        // the base model against itself: every top singular vector is one of its own, so none intrudes
        var evaluations = new List<DemoMetrics> { baseline with { Intruders = 0 } };
        var losses = new List<LossPoint>();
        using var trainer = new Trainer(config, new TrainerOptions
        {
            Tokenizer = tokenizer,
            Console = TextWriter.Null,
            AfterStep = (t, step) =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (t.LastLoss is double l) losses.Add(new LossPoint { Step = step, Loss = l });
                // intruders at the final checkpoint only: two SVDs per projection cost seconds of CPU per count
                if (evalSteps.Contains(step))
                    evaluations.Add(evaluator.Evaluate(t.Model, step, t.TokensSeen) with
                    {
                        Intruders = step == plan.FinetuneSteps ? intruders.Count(t.Model) : null,
                    });
            },
        });
        trainer.Setup();
        trainer.Train();
        string final = trainer.SaveFinal();
        bool lora = point.Method == FinetuneMethod.Lora;
        var analysis = new SpectrumAnalysis(seed: point.Seed);
        var spectrum = lora ? analysis.AnalyseAdapter(baseDir, final) : analysis.CompareModels(baseDir, final);
        SpectrumAnalysis.Write(spectrum, Path.Combine(runDir, "spectrum"), analysis.Threshold);
        var diversity = DemoDiversity.Measure(trainer.Model, tokenizer, test, plan, checked((int)point.Seed));
        // one point per evaluation (the base model's at step 0 first); diversity is measured on the final model only
        var checkpoints = evaluations.Select((e, i) => new CheckpointPoint
        {
            Step = e.Step, TokensSeen = e.TokensSeen, Target = e.TargetLoss, Forgetting = e.SourceLoss,
            Diversity = i == evaluations.Count - 1 ? diversity.Distinct2 : null,
        }).ToList();
        var record = RunRecord.Of(point.Id, config, checkpoints, losses, spectrum.Select(s => s.Summary()).ToList());
        var result = new DemoRunResult
        {
            RunId = point.Id, Method = record.Method, Rank = point.Rank, Targets = point.Targets ?? "all",
            LearningRate = point.LearningRate, WeightDecay = config.Full.WeightDecay ?? 0, Dropout = config.Full.Dropout,
            Seed = point.Seed, RunDir = runDir, Evaluations = evaluations, Spectrum = spectrum,
            Diversity = diversity, Seconds = clock.Elapsed.TotalSeconds, Record = record,
        };
        results[point.Id] = result;
        RunCollection.WriteRunRecord(runDir, record);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {result.Label}, seed {result.Seed}: target loss {result.Final.TargetLoss:F3} (acc {result.Final.TargetAccuracy:P0}), " +
            $"source loss {result.Final.SourceLoss:F3} ({result.Forgetting:+0.000;-0.000}, cloze {DemoReport.Pct(result.Final.ClozeAccuracy)}), " +
            $"ΔW rank {result.MeanDeltaRank:F1}, " +
            $"intruders {result.Final.Intruders}, " +
            $"distinct-2 {diversity.Distinct2:F3} [{result.Seconds:F0} s]"));
        return new SweepPointResult
        {
            FinalTrainLoss = trainer.LastLoss,
            TargetScore = result.Final.TargetLoss,
            ForgettingScore = result.Final.SourceLoss,
            Metrics = new Dictionary<string, double>
            {
                ["target_accuracy"] = result.Final.TargetAccuracy,
                ["forgetting_nats"] = result.Forgetting,
                ["delta_rank"] = result.MeanDeltaRank,
                ["intruders"] = (double?)result.Final.Intruders ?? double.NaN,
                ["distinct_2"] = diversity.Distinct2,
                ["steps"] = trainer.Step,
                ["tokens_seen"] = trainer.TokensSeen,
            },
            Paths = new Dictionary<string, string> { ["run_dir"] = runDir, ["final"] = final },
        };
    }
}
