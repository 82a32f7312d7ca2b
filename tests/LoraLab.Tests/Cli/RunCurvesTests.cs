using System.Text.Json.Nodes;
using LoraLab.Evaluation.Suite;
using LoraLab.Tests.Reports;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Cli;

/// <summary>
/// The study's curves from a real run: a 40-step LoRA run on stories260K with a checkpoint every 10 steps, then
/// `eval --run` (killed once and resumed), `analyze spectrum --run`, `report` over tokens, and a checkpoint as --model.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class RunCurvesTests
{
    [SkippableFact]
    [Trait("Category", "Slow")]
    public void FortyStepLoraRunGivesCurvesOverTokens()
    {
        SharedFiles.Require(SharedFiles.Stories260KBin);
        SharedFiles.Require(SharedFiles.Gsm8kTrain);
        SharedFiles.Require(SharedFiles.TinyStories);
        RequireFonts.Check();
        using var dir = new TempDir();
        string runDir = dir.File("lora-r8");
        var config = RunConfigLoader.Load(Path.Combine(SharedFiles.RepoRoot, "configs", "stories260k-lora-gsm8k.yaml"),
        [
            $"model.path={SharedFiles.Stories260KBin}", $"model.tokenizer={SharedFiles.Tok512Model}", $"data.paths=[\"{SharedFiles.Gsm8kTrain}\"]",
            "eval_data=null", "data.seq_len=64", "global_train_batch_size=4", "device_train_microbatch_size=4", "lora.r=8",
            "max_duration=40ba", "save_interval=10ba", "save_num_checkpoints_to_keep=-1", "save_merged_model=false", $"run_dir={runDir}",
        ]);
        using (var trainer = new Trainer(config, new TrainerOptions { Console = null })) trainer.Run();

        string[] eval = ["eval", "--run", runDir, "--tasks", "perplexity,gsm8k", "--task-file", $"perplexity={SharedFiles.TinyStories}",
            "--task-file", $"gsm8k={SharedFiles.Gsm8kTrain}", "--limit", "2", "--num-fewshot", "0", "--max-gen-tokens", "16"];
        // a killed eval --run: stop it once its first checkpoint is recorded, then run it again. The curve file is written
        // after the checkpoint's step file is complete (EvalSuite writes the step file first, eval --run then adds its
        // run_eval record): waiting for the step file alone could kill between the two, and the resumed run would redo it.
        string first = Path.Combine(runDir, "eval", "step-000010.json");
        string curveFile = Path.Combine(runDir, "eval", RunEvaluation.CurveFile);
        using (var killed = CliRun.Start(null, eval))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(curveFile) && !killed.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(100);
            if (!killed.HasExited) killed.Kill(entireProcessTree: true);
            killed.WaitForExit();
        }
        Assert.True(File.Exists(first), "the first checkpoint was evaluated before the kill");
        var resumed = CliRun.Run(eval);
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Matches(@"[1-4] of 4 checkpoints already evaluated", resumed.StdErr);

        var curve = CurveRow.ReadFile(Path.Combine(runDir, "eval", RunEvaluation.CurveFile));
        Assert.Equal([10L, 20L, 30L, 40L], curve.Select(r => r.Step));
        Assert.Equal([2560L, 5120L, 7680L, 10240L], curve.Select(r => r.Tokens)); // 4 windows of 64 tokens a step
        var nll = curve.Select(r => r.Results["perplexity"]["nll_per_token"]).ToList();
        Assert.Equal(4, nll.Distinct().Count()); // the source-domain loss moves with training
        Assert.All(curve, r => Assert.NotNull(r.Result("gsm8k", "exact_match,strict-match")));
        Assert.All(curve, r => Assert.Equal("gsm8k/exact_match,strict-match", r.TargetMetric));

        var spectrum = CliRun.Run("analyze", "spectrum", "--run", runDir);
        Assert.True(spectrum.ExitCode == 0, spectrum.StdErr);
        Assert.Contains("ETA", spectrum.StdErr);
        var csv = File.ReadAllLines(Path.Combine(runDir, "spectrum", "spectrum_run.csv"));
        Assert.StartsWith("step,tokens,checkpoint,layer,module", csv[0]);
        Assert.Equal(1 + 4 * 5 * 7, csv.Length); // 4 checkpoints × 5 layers × 7 modules
        Assert.True(File.Exists(Path.Combine(runDir, "spectrum", "spectrum_rank_vs_tokens.png")));
        Assert.All(csv.Skip(1), l => Assert.InRange(int.Parse(l.Split(',')[7]), 1, 8)); // ΔW of a rank-8 adapter

        string reportDir = dir.File("report");
        var report = CliRun.Run("report", "--runs", runDir, "--out", reportDir);
        Assert.True(report.ExitCode == 0, report.StdErr);
        Assert.True(new FileInfo(Path.Combine(reportDir, "over_training.png")).Length > 1000);
        Assert.Contains("over_training.png", File.ReadAllText(Path.Combine(reportDir, "summary.md")));

        // a checkpoint opens wherever a model does
        string checkpoint = Path.Combine(runDir, "checkpoints", "step-000020");
        var one = CliRun.Run("eval", "--model", checkpoint, "--tasks", "perplexity", "--task-file", $"perplexity={SharedFiles.TinyStories}",
            "--limit", "2", "--out", dir.File("step20.json"));
        Assert.True(one.ExitCode == 0, one.StdErr);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("step20.json")))!;
        // Two processes, so MKL's GEMMs may block differently with buffer alignment: equal within float32 rounding of
        // the summed token losses, not bit for bit.
        double single = json["results"]!["perplexity"]!["nll_per_token"]!.GetValue<double>();
        Assert.True(Math.Abs(nll[1] - single) <= 1e-5 * Math.Abs(nll[1]), $"eval --run gave {nll[1]}, eval --model {single}");
        var gen = CliRun.Run("generate", "--model", checkpoint, "--prompt", "Once upon a time", "--max-new-tokens", "8");
        Assert.True(gen.ExitCode == 0, gen.StdErr);
        Assert.StartsWith("Once upon a time", gen.StdOut);

        // a directory without checkpoints: one line, exit 2
        var empty = CliRun.Run("eval", "--run", dir.File("report"), "--tasks", "perplexity");
        Assert.Equal(2, empty.ExitCode);
        Assert.Single(empty.StdErr.TrimEnd('\n').Split('\n'));
        Assert.Contains("no checkpoints", empty.StdErr);
    }
}
