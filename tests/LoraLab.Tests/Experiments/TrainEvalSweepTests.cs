using System.Text.Json.Nodes;
using LoraLab.Experiments;
using LoraLab.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments;

/// <summary>A real (tiny) sweep: stories260K trained for a few steps per grid point, evaluated, indexed, reported.</summary>
public class TrainEvalSweepTests
{
    /// <summary>What both sweeps train and evaluate on (skipped without ../shared): model, tokenizer, training and source text.</summary>
    private static (string Bin, string Tok, string Gsm, string Stories) SharedInputs() =>
        (SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(SharedFiles.Tok512Model),
            SharedFiles.Require(SharedFiles.Gsm8kTrain), SharedFiles.Require(SharedFiles.TinyStories));

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void SweepTrainsEvaluatesAndFeedsTheReport()
    {
        var (bin, tok, gsm, stories) = SharedInputs();
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

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void SweepEvaluatesEveryCheckpointOfAPointWhenAsked()
    {
        var (bin, tok, gsm, stories) = SharedInputs();
        using var dir = new TempDir();
        string sweep = dir.File("sweep.yaml");
        File.WriteAllText(sweep, $$"""
            name: curves
            run_root: runs
            base:
              model: { path: "{{bin}}", tokenizer: "{{tok}}" }
              method: lora
              lora: { r: 2 }
              optimizer: { name: decoupled_lionw, lr: 1.0e-2 }
              data: { regime: cpt, paths: ["{{gsm}}"], text_field: answer, seq_len: 32 }
              global_train_batch_size: 4
              max_duration: 3ba
              save_interval: 1ba
            grid:
              seed: [3]
            eval:
              tasks: [perplexity, gsm8k]
              eval_checkpoints: all
              task_files: { perplexity: "{{stories}}", gsm8k: "{{gsm}}" }
              limit: 2
              num_fewshot: 0
              max_gen_tokens: 8
              ppl_stride: 64
              share_context: false
            """);
        var plan = SweepPlan.Load(sweep);
        var log = new StringWriter();
        SweepRunner.Run(plan, new TrainEvalPointRunner(log), new SweepRunOptions { Log = log }, CancellationToken.None);
        var p = Assert.Single(plan.Points);
        var result = JsonNode.Parse(File.ReadAllText(p.ResultPath))!.AsObject();
        Assert.True(result["status"]!.ToString() == "ok", result.ToJsonString());
        Assert.Equal(3, result["metrics"]!["checkpoints_evaluated"]!.GetValue<double>());
        var step2 = JsonNode.Parse(File.ReadAllText(Path.Combine(p.RunDir, "eval", "step-000002.json")))!;
        Assert.Equal(64, step2["settings"]!["perplexity"]!["stride"]!.GetValue<int>()); // options the sweep used to ignore are honoured
        Assert.False(step2["settings"]!["share_context"]!.GetValue<bool>());
        Assert.Contains("ETA", log.ToString());
        var run = Assert.Single(RunCollection.Collect(Path.Combine(dir.Path, "runs")).Runs);
        Assert.Equal([1L, 2L, 3L], run.Checkpoints.Select(c => c.Step));
    }

    [Theory]
    [InlineData("dtype: bf16", "eval.dtype: unknown key")]
    [InlineData("ppl_stride: many", "eval.ppl_stride: expected an integer")]
    [InlineData("eval_checkpoints: sometimes", "eval.eval_checkpoints")]
    [InlineData("top_p: 2", "--top-p must be in (0, 1]")]
    public void EvalSectionRefusesWhatItCannotHonour(string line, string message)
    {
        using var dir = new TempDir();
        string sweep = dir.File("sweep.yaml");
        File.WriteAllText(sweep, $$"""
            run_root: runs
            base:
              model: { path: /nowhere }
              data: { paths: [x.txt] }
              global_train_batch_size: 4
              max_duration: 1ba
            grid:
              seed: [1]
            eval:
              tasks: [perplexity]
              {{line}}
            """);
        var e = Assert.Throws<LoraLabException>(() => SweepPlan.Load(sweep));
        Assert.Contains(message, e.Message);
        Assert.Contains("sweep.yaml", e.Message);
    }
}
