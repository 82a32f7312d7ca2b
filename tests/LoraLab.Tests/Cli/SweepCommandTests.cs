using System.Text.RegularExpressions;
using LoraLab.Experiments;
using LoraLab.Tests.Experiments;
using LoraLab.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Tests.Cli;

/// <summary>
/// `loralab sweep …` end to end. `sweep run` is called in-process with a fake runner registered in
/// <see cref="SweepRunners.Default"/> (only this class touches it); the other commands run as separate processes.
/// </summary>
public class SweepCommandTests
{
    private const string Grid = "  method: [lora, full]\n  lora.r: [4, 8]\n  seed: [0, 1]"; // 4 lora + 2 full

    private static void ExpectError(CliRun.Result r, string mustMention)
    {
        Assert.Equal(2, r.ExitCode);
        string err = r.StdErr.TrimEnd('\n');
        Assert.Single(err.Split('\n'));
        Assert.StartsWith("error: ", err);
        Assert.Contains(mustMention, err);
    }

    [Fact]
    public void RunWithARegisteredRunnerThenStatusRebuildsTheIndexInAnotherProcess()
    {
        using var dir = new TempDir();
        string file = SweepFiles.Write(dir, Grid);
        var plan = SweepPlan.Load(file);
        var fake = new FakePointRunner();
        fake.FailIds.Add(plan.Points[1].Id);
        SweepRunners.Default = _ => fake;
        try
        {
            Assert.Equal(1, LoraLab.Cli.Program.Main(["sweep", "run", file])); // one point failed
            Assert.Equal(6, fake.Calls.Count);
            Assert.Equal(0, LoraLab.Cli.Program.Main(["sweep", "run", file, "--index", "3"])); // finished: skipped
            Assert.Equal(6, fake.Calls.Count);
        }
        finally
        {
            SweepRunners.Default = null;
        }

        File.Delete(SweepIndex.PathFor(plan.RunRoot)); // status rebuilds it from the result files
        var status = CliRun.Run("sweep", "status", file);
        Assert.True(status.ExitCode == 0, status.StdErr);
        var lines = status.StdOut.Split('\n');
        foreach (var p in plan.Points)
        {
            string line = lines.Single(l => Regex.IsMatch(l, $@"^\s*{p.Index}\s+{Regex.Escape(p.Id)}\s"));
            string expectedLoss = p.Index == 1 ? "-"
                : FakePointRunner.Expected(p).FinalTrainLoss!.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Matches($@"\s{(p.Index == 1 ? "failed" : "ok")}\s+{Regex.Escape(expectedLoss)}\s", line);
        }
        Assert.Contains("6 points: 5 ok, 1 failed, 0 pending", status.StdOut);
        Assert.Contains("diverged: loss is NaN", status.StdOut);

        using var index = SweepIndex.Open(plan.RunRoot); // written by the other process
        Assert.Equal(6, index.Rows().Count);
        Assert.Equal("failed", index.Get(plan.Points[1].Id)!.Status);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void RealRunnerRecordsAFailedPointAndBadInputIsOneLine()
    {
        using var dir = new TempDir();
        string file = SweepFiles.Write(dir, Grid);
        // the CLI registers the trainer + evaluator runner; the grid's model path does not exist, so the point fails,
        // is recorded as failed (with the reason), and the exit code says some point failed
        var run = CliRun.Run("sweep", "run", file, "--index", "0");
        Assert.Equal(1, run.ExitCode);
        var plan = SweepPlan.Load(file);
        string result = File.ReadAllText(plan.Points[0].ResultPath);
        Assert.Contains("\"status\": \"failed\"", result.Replace("\":\"", "\": \""));
        Assert.Contains("/models/llama", result);
        ExpectError(CliRun.Run("sweep", "run", file, "--index", "6"), "0-5");
        ExpectError(CliRun.Run("sweep", "list", dir.File("nope.yaml")), "not found");
        ExpectError(CliRun.Run("sweep", "emit", file), "--slurm or --k8s");
        ExpectError(CliRun.Run("sweep", "emit", "--slurm", file, "--time", "soon"), "--time");
        File.WriteAllText(file, File.ReadAllText(file).Replace("lora.r:", "lora.rnk:", StringComparison.Ordinal));
        ExpectError(CliRun.Run("sweep", "list", file), "lora.rnk");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ListAndEmitAgreeOnIndices()
    {
        using var dir = new TempDir();
        string file = SweepFiles.Write(dir, Grid);
        var plan = SweepPlan.Load(file);

        var list = CliRun.Run("sweep", "list", file);
        Assert.True(list.ExitCode == 0, list.StdErr);
        foreach (var p in plan.Points)
            Assert.Matches($@"(?m)^\s*{p.Index}\s+{Regex.Escape(p.Id)}\s+{Regex.Escape(string.Join(' ', p.Overrides))}$", list.StdOut);

        string script = dir.File("jobs/sweep.sbatch");
        var slurm = CliRun.Run("sweep", "emit", "--slurm", file, "--out", script, "--cpus", "4", "--mem", "16G");
        Assert.True(slurm.ExitCode == 0, slurm.StdErr);
        string text = File.ReadAllText(script);
        Assert.Contains("#SBATCH --array=0-5\n", text);
        Assert.Contains("#SBATCH --cpus-per-task=4\n", text);
        Assert.Contains("#SBATCH --mem=16G\n", text);
        Assert.Contains($"sweep run {file} --index \"$SLURM_ARRAY_TASK_ID\"", text);
        Assert.True(Directory.Exists(Path.Combine(plan.RunRoot, "logs")));
        if (!OperatingSystem.IsWindows()) Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute));

        var k8s = CliRun.Run("sweep", "emit", "--k8s", file, "--image", "registry.example/loralab:1.0");
        Assert.True(k8s.ExitCode == 0, k8s.StdErr);
        var stream = new YamlStream();
        stream.Load(new StringReader(k8s.StdOut));
        var spec = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children["spec"];
        Assert.Equal("6", ((YamlScalarNode)spec.Children["completions"]).Value);
        Assert.Equal("6", ((YamlScalarNode)spec.Children["parallelism"]).Value);
        Assert.Contains("image: \"registry.example/loralab:1.0\"", k8s.StdOut);
    }
}
