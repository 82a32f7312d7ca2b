using LoraLab.Evaluation.Suite;
using LoraLab.Tests.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Training;

namespace LoraLab.Tests.Evaluation.Suite;

/// <summary>`eval --run`: every checkpoint evaluated into step files and one curve, resumable, refusing mixed settings.</summary>
[Collection(GlobalTorchRngCollection.Name)]
public class RunEvaluationTests
{
    private static EvalSuiteOptions Perplexity(TinyRun run, int limit = 3) => new()
    {
        Tasks = ["perplexity"],
        TaskFiles = new Dictionary<string, string> { ["perplexity"] = run.CptPath },
        PerplexitySeparator = "\n\n",
        Limit = limit,
    };

    private static double Nll(CurveRow row) => row.Results["perplexity"]["nll_per_token"];

    [Theory]
    [InlineData("lora")]
    [InlineData("full")]
    public void EveryCheckpointGetsAStepFileAndACurveRow(string method)
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config(method, $"method={method}", "lora.r=4", "optimizer.lr=0.01"));
        var rows = RunEvaluation.EvaluateCheckpoints(trainer.RunDirectory, Perplexity(run), new RunEvaluationOptions { Tokenizer = new ByteTestTokenizer() });

        Assert.Equal([3L, 6L], rows.Select(r => r.Step));
        var tokens = rows.Select(r => r.Tokens).ToList();
        Assert.True(tokens[0] > 0 && tokens[1] > tokens[0], "tokens seen grow with the steps");
        Assert.Equal(tokens[1], trainer.TokensSeen);
        Assert.Equal("checkpoints/step-000003", rows[0].Checkpoint);
        Assert.Equal(method, rows[0].Method);
        Assert.NotEqual(Nll(rows[0]), Nll(rows[1]));
        string evalDir = Path.Combine(trainer.RunDirectory, RunEvaluation.EvalDirName);
        Assert.True(File.Exists(Path.Combine(evalDir, "step-000003.json")));
        Assert.True(File.Exists(Path.Combine(evalDir, "step-000006.samples.jsonl")));
        var curve = CurveRow.ReadFile(Path.Combine(evalDir, RunEvaluation.CurveFile));
        Assert.Equal(2, curve.Count);
        Assert.Equal(Nll(rows[1]), Nll(curve[1]));
    }

    [Fact]
    public void AKilledEvaluationResumesWithoutRedoingFinishedCheckpoints()
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config("lora", "method=lora", "lora.r=4", "optimizer.lr=0.01"));
        var settings = new RunEvaluationOptions { Tokenizer = new ByteTestTokenizer() };
        var killed = settings with { AfterCheckpoint = _ => throw new OperationCanceledException("killed") };
        Assert.Throws<OperationCanceledException>(() => RunEvaluation.EvaluateCheckpoints(trainer.RunDirectory, Perplexity(run), killed));
        string evalDir = Path.Combine(trainer.RunDirectory, RunEvaluation.EvalDirName);
        string first = Path.Combine(evalDir, "step-000003.json");
        Assert.True(File.Exists(first));
        Assert.False(File.Exists(Path.Combine(evalDir, "step-000006.json")));
        Assert.Single(CurveRow.ReadFile(Path.Combine(evalDir, RunEvaluation.CurveFile)));
        var written = File.GetLastWriteTimeUtc(first);

        var evaluated = new List<string>();
        var progress = new StringWriter();
        var rows = RunEvaluation.EvaluateCheckpoints(trainer.RunDirectory, Perplexity(run),
            settings with { AfterCheckpoint = c => evaluated.Add(Path.GetFileName(c.Path)), Progress = progress });
        Assert.Equal(["step-000006"], evaluated);
        Assert.Equal(2, rows.Count);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first));
        Assert.Contains("1 of 2 checkpoints already evaluated", progress.ToString());
        Assert.Contains("ETA", progress.ToString());

        // the same run evaluated with another request is refused, not mixed into the curve
        var other = Assert.Throws<LoraLabException>(() => RunEvaluation.EvaluateCheckpoints(trainer.RunDirectory, Perplexity(run, limit: 2), settings));
        Assert.Contains("other settings", other.Message);
    }

    [Fact]
    public void SelectionKeepsTheFinalCheckpoint()
    {
        Assert.Equal([30L], CheckpointSelection.Final.Select([10, 20, 30]));
        Assert.Equal([20L, 40L, 50L], CheckpointSelection.Parse("every 20", "x").Select([10, 20, 30, 40, 50]));
        Assert.Equal([10L, 20L], CheckpointSelection.Parse("all", "x").Select([10, 20]));
        Assert.Contains("every N", Assert.Throws<LoraLabException>(() => CheckpointSelection.Parse("some", "eval_checkpoints")).Message);
    }
}
