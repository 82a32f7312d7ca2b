using System.Text.Json.Nodes;
using LoraLab.Experiments;
using LoraLab.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments;

/// <summary>A real (tiny) sweep: stories260K trained for a few steps per grid point, evaluated, indexed, reported.</summary>
public class TrainEvalSweepTests
{
    [SkippableFact]
    public void SweepTrainsEvaluatesAndFeedsTheReport()
    {
        string bin = SharedFiles.Require(SharedFiles.Stories260KBin);
        string tok = SharedFiles.Require(SharedFiles.Tok512Model);
        string gsm = SharedFiles.Require(SharedFiles.Gsm8kTrain);
        string stories = SharedFiles.Require(SharedFiles.TinyStories);
        using var dir = new TempDir();
        string sweep = dir.File("sweep.yaml");
        File.WriteAllText(sweep, $"""
            name: tiny
            run_root: runs
            base:
              model:
                path: "{bin}"
                tokenizer: "{tok}"
              lora:
                r: 2
              optimizer:
                name: decoupled_lionw
                lr: 1.0e-3
                betas: [0.9, 0.95]
              data:
                regime: cpt
                paths: ["{gsm}"]
                text_field: answer
                seq_len: 32
              global_train_batch_size: 4
              max_duration: 3ba
              seed: 3
              precision: bf16
            grid:
              method: [lora, full]
            eval:
              tasks: [perplexity]
              task_files:
                perplexity: "{stories}"
              limit: 3
            """);
        var plan = SweepPlan.Load(sweep);
        Assert.Equal(2, plan.Points.Count);
        var summary = SweepRunner.Run(plan, new TrainEvalPointRunner(TextWriter.Null), new SweepRunOptions(), CancellationToken.None);
        Assert.Equal(2, plan.Points.Count(p => File.Exists(p.ResultPath)));
        foreach (var p in plan.Points)
        {
            var result = JsonNode.Parse(File.ReadAllText(p.ResultPath))!.AsObject();
            Assert.True(result["status"]!.ToString() == "ok", result.ToJsonString());
            Assert.True(File.Exists(Path.Combine(p.RunDir, "eval", "results.json")));
            var eval = JsonNode.Parse(File.ReadAllText(Path.Combine(p.RunDir, "eval", "results.json")))!;
            double nll = eval["results"]!["perplexity"]!["nll_per_token"]!.GetValue<double>();
            Assert.InRange(nll, 0.5, 6.3); // below uniform (ln 512)
            Assert.Equal("bf16", eval["settings"]!["dtype"]!.ToString()); // the run's own precision
            Assert.True(File.Exists(Path.Combine(p.RunDir, RunCollection.RunRecordFile)));
        }
        // the runs feed the report's run collection
        var data = RunCollection.Collect(Path.Combine(dir.Path, "runs"));
        Assert.Equal(2, data.Runs.Count);
        Assert.All(data.Runs, r => Assert.NotEmpty(r.TrainingLoss));
    }
}
