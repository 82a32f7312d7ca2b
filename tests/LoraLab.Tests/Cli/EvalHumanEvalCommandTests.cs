using System.Text.Json.Nodes;
using LoraLab.Tests.Evaluation;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

/// <summary><c>loralab eval humaneval</c> end to end on the hand-written fixture.</summary>
[Collection(LoraLab.Tests.Evaluation.HumanEval.SandboxTestSupport.Collection)]
public class EvalHumanEvalCommandTests
{
    [SkippableFact]
    public void WritesPassAtKAndPerSampleLog()
    {
        SandboxTestSupport.Create(); // skips where python3 is missing
        using var dir = new TempDir();
        string problems = HumanEvalFixture.WriteProblems(dir);
        string samples = Fixture.Write(dir, "samples.jsonl",
            "{\"task_id\": \"Fixture/0\", \"completion\": \"    return a + b\\n\"}",
            "{\"task_id\": \"Fixture/0\", \"completion\": \"    return a - b\\n\"}",
            "{\"task_id\": \"Fixture/1\", \"completion\": \"    return ' '.join(reversed(s.split()))\\n\"}",
            "{\"task_id\": \"Fixture/1\", \"completion\": \"    return ' '.join(s.split()[::-1])\\n\\ndef unused():\\n    pass\\n\"}");
        string output = dir.File("results.json");

        int rc = LoraLab.Cli.Program.Main(["eval", "humaneval", "--samples", samples, "--problems", problems,
            "--k", "1,2,10", "--timeout", "3", "--workers", "2", "--out", output]);

        Assert.Equal(0, rc);
        var results = JsonNode.Parse(File.ReadAllText(output))!;
        // Fixture/0: 1 of 2 correct → pass@1 = 0.5, pass@2 = 1; Fixture/1: 2 of 2 → 1, 1. k = 10 > n is left out.
        Assert.Equal(0.75, (double)results["pass_at_k"]!["pass@1"]!, 12);
        Assert.Equal(1.0, (double)results["pass_at_k"]!["pass@2"]!, 12);
        Assert.Null(results["pass_at_k"]!["pass@10"]);
        Assert.Equal(4, (int)results["samples"]!);
        var log = File.ReadAllLines(dir.File("results.samples.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["passed", "failed: AssertionError", "passed", "passed"], log.Select(l => (string)l["result"]!));
        Assert.Equal([0, 1, 0, 1], log.Select(l => (int)l["completion_id"]!));
    }

    [SkippableFact]
    public void UnknownTaskIdIsAOneLineUserError()
    {
        SandboxTestSupport.Create();
        using var dir = new TempDir();
        string problems = HumanEvalFixture.WriteProblems(dir);
        string samples = Fixture.Write(dir, "samples.jsonl", "{\"task_id\": \"HumanEval/999\", \"completion\": \"\"}");
        int rc = LoraLab.Cli.Program.Main(["eval", "humaneval", "--samples", samples, "--problems", problems, "--out", dir.File("r.json")]);
        Assert.Equal(2, rc);
        Assert.False(File.Exists(dir.File("r.json")));
    }
}
