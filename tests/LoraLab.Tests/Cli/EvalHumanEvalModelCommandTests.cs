using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.Evaluation.Suite;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Cli;

/// <summary>
/// <c>loralab eval --model DIR --tasks humaneval</c> end to end on stories260K: generation → stop sequences → sandboxed
/// execution → pass@k. A story model writes no working Python, so only the structure and the counts are checked here;
/// <see cref="HumanEvalModelRunTests"/> proves passes are counted.
/// </summary>
[Collection(LoraLab.Tests.Evaluation.HumanEval.SandboxTestSupport.Collection)]
public class EvalHumanEvalModelCommandTests
{
    private static string[] Args(string model, string problems, string outPath, params string[] extra) =>
    [
        "eval", "--model", model, "--out", outPath, "--tasks", "humaneval", "--task-file", "humaneval=" + problems,
        "--humaneval-max-new-tokens", "12", "--seed", "3", .. extra,
    ];

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void SampledAndGreedyRunsWritePassAtKAndPerSampleLines()
    {
        SandboxTestSupport.Create(); // skips where python3 is missing
        using var dir = new TempDir();
        string model = dir.File("model");
        Llama2cConverter.Convert(SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(SharedFiles.Tok512Model), model, ScalarType.Float32);
        string problems = HumanEvalFixture.WriteProblems(dir);

        string outPath = dir.File("results.json");
        var r = CliRun.Run(Args(model, problems, outPath, "--n", "2", "--temperature", "0.8"));
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        var json = JsonNode.Parse(File.ReadAllText(outPath))!.AsObject();
        var he = json["results"]!["humaneval"]!.AsObject();
        Assert.Equal(2, (int)he["n_samples"]!);
        Assert.Equal(2, (int)he["problems"]!);
        Assert.False(he.ContainsKey("pass@10")); // k ≤ n only
        Assert.True(he.ContainsKey("diversity"));
        var settings = json["settings"]!["humaneval"]!;
        Assert.Equal(2, (int)settings["n"]!);
        Assert.Equal(0.8, (double)settings["temperature"]!);
        Assert.False((bool)settings["greedy"]!);
        Assert.Equal("humaneval", (string)json["target_score"]!["task"]!);

        var lines = File.ReadAllLines(dir.File("results.samples.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count); // 2 problems × n = 2
        Assert.Equal(["Fixture/0", "Fixture/0", "Fixture/1", "Fixture/1"], lines.Select(l => (string)l["task_id"]!));
        Assert.Equal([0, 1, 0, 1], lines.Select(l => (int)l["completion_id"]!));
        Assert.All(lines, l =>
        {
            Assert.Equal("humaneval", (string)l["task"]!);
            Assert.NotNull((string?)l["completion"]);
            string result = (string)l["result"]!;
            Assert.True(result == "passed" || result == "timed out" || result.StartsWith("failed: ", StringComparison.Ordinal), result);
            Assert.Equal(result == "passed", (bool)l["passed"]!);
        });
        // with n = 2, k = 1 the unbiased estimator is the mean of c/n: the fraction of passed lines
        double passRate = lines.Count(l => (bool)l["passed"]!) / 4.0;
        Assert.Equal(passRate, (double)he["pass@1"]!, 12);
        Assert.Equal(lines.Count(l => (bool)l["passed"]!), (int)he["passed"]!);

        string greedyOut = dir.File("greedy.json");
        var g = CliRun.Run(Args(model, problems, greedyOut, "--n", "2", "--temperature", "0.8", "--greedy"));
        Assert.True(g.ExitCode == 0, g.StdErr + g.StdOut);
        var gj = JsonNode.Parse(File.ReadAllText(greedyOut))!.AsObject();
        Assert.Equal(1, (int)gj["results"]!["humaneval"]!["n_samples"]!);
        Assert.False(gj["results"]!["humaneval"]!.AsObject().ContainsKey("diversity"));
        Assert.Equal(1, (int)gj["settings"]!["humaneval"]!["n"]!);
        Assert.Equal(0.0, (double)gj["settings"]!["humaneval"]!["temperature"]!);
        var gl = File.ReadAllLines(dir.File("greedy.samples.jsonl"));
        Assert.Equal(2, gl.Length);
    }
}
