using LoraLab.Evaluation.Suite;
using LoraLab.Reports;
using LoraLab.Tests.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Training;

namespace LoraLab.Tests.Reports;

/// <summary>A run directory evaluated with eval --run is a report run: one point per checkpoint, over tokens.</summary>
[Collection(GlobalTorchRngCollection.Name)]
public class RunDirectoryRecordTests
{
    [Fact]
    public void EvaluatedRunDirectoryBecomesARunWithOnePointPerCheckpoint()
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config("lora-run", "method=lora", "lora.r=4", "optimizer.lr=0.01"));
        var options = new EvalSuiteOptions
        {
            Tasks = ["perplexity"], TaskFiles = new Dictionary<string, string> { ["perplexity"] = run.CptPath }, PerplexitySeparator = "\n\n", Limit = 2,
        };
        var rows = RunEvaluation.EvaluateCheckpoints(trainer.RunDirectory, options, new RunEvaluationOptions { Tokenizer = new ByteTestTokenizer() });

        // no gsm8k/humaneval ran, so the default target (target_score) is missing: the error names the way out
        var missing = Assert.Throws<LoraLabException>(() => RunCollection.Collect(trainer.RunDirectory));
        Assert.Contains("--target-metric", missing.Message);

        var data = RunCollection.Collect(run.Root, new CurveMetric("perplexity/bits_per_byte"));
        var r = Assert.Single(data.Runs);
        Assert.Equal("lora-run", r.RunId);
        Assert.Equal(("lora", 4), (r.Method, r.Rank));
        Assert.Equal([3L, 6L], r.Checkpoints.Select(c => c.Step));
        Assert.Equal(rows.Select(x => x.Tokens), r.Checkpoints.Select(c => c.TokensSeen));
        Assert.Equal(rows.Select(x => x.Results["perplexity"]["nll_per_token"]), r.Checkpoints.Select(c => c.Forgetting));
        Assert.False(data.Forgetting.HigherIsBetter); // source NLL: lower is better
        Assert.False(data.Target.HigherIsBetter);
        Assert.Equal(6, r.TrainingLoss.Count);
    }
}
