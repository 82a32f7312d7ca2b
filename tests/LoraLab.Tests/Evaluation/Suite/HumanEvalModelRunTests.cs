using LoraLab.Evaluation;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Evaluation.Suite;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Suite;

/// <summary>
/// <see cref="HumanEvalModelRun"/> with scripted completions: proves the model path counts passes (not only failures)
/// and that the requests carry the problem prompt, the Codex stops and the sampling settings.
/// </summary>
[Collection(LoraLab.Tests.Evaluation.HumanEval.SandboxTestSupport.Collection)]
public class HumanEvalModelRunTests
{
    /// <summary>The fixture's canonical solutions (hand-written in <see cref="HumanEvalFixture"/>).</summary>
    private static readonly Dictionary<string, string> Canonical = new()
    {
        ["add"] = "    return a + b\n",
        ["reverse_words"] = "    return ' '.join(reversed(s.split()))\n",
    };

    private static string EntryPointOf(string prompt) => prompt.Contains("def add(", StringComparison.Ordinal) ? "add" : "reverse_words";

    private static EvalSuiteOptions Options(int n, bool greedy = false) => new()
    {
        Tasks = ["humaneval"],
        HumanEvalSamples = n,
        HumanEvalTemperature = 0.8,
        HumanEvalGreedy = greedy,
        HumanEvalMaxNewTokens = 8,
        HumanEvalTimeoutSeconds = 3,
        HumanEvalWorkers = 2,
        Seed = 5,
    };

    [SkippableFact]
    public void CorrectCompletionsGivePassAt1OfOne()
    {
        SandboxTestSupport.Create(); // skips where python3 is missing
        using var dir = new TempDir();
        // a trailing "\ndef" part must be cut at the stop sequence before execution
        var model = new FakeLanguageModel(generate: r => Canonical[EntryPointOf(r.Prompt)] + "\ndef junk(:\n");

        var (metrics, pass1, lines) = HumanEvalModelRun.Run(model, HumanEvalFixture.WriteProblems(dir), Options(n: 2));

        Assert.Equal(1.0, (double)metrics["pass@1"]!, 12);
        Assert.Equal(1.0, pass1.Value, 12);
        Assert.Equal(4, (int)metrics["passed"]!);
        Assert.Equal(2, (int)metrics["n_samples"]!);
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal("passed", (string)l["result"]!));
        Assert.Equal(4, model.GenerationRequests.Count);
        Assert.All(model.GenerationRequests, r =>
        {
            Assert.Equal(HumanEvalStops.StopSequences, r.StopSequences);
            Assert.Equal(8, r.MaxNewTokens);
            Assert.Equal(0.8, r.Temperature);
        });
    }

    [SkippableFact]
    public void MixedCompletionsGiveTheUnbiasedPassAt1()
    {
        SandboxTestSupport.Create();
        using var dir = new TempDir();
        int call = 0;
        // add: both samples right (1/1); reverse_words: first right, second wrong (1/2) → pass@1 = (1 + 0.5) / 2
        var model = new FakeLanguageModel(generate: r =>
        {
            string entry = EntryPointOf(r.Prompt);
            bool wrong = entry == "reverse_words" && call++ % 2 == 1;
            return wrong ? "    return s\n" : Canonical[entry];
        });

        var (metrics, _, lines) = HumanEvalModelRun.Run(model, HumanEvalFixture.WriteProblems(dir), Options(n: 2));

        Assert.Equal(0.75, (double)metrics["pass@1"]!, 12);
        Assert.Equal(3, (int)metrics["passed"]!);
        Assert.Equal(["passed", "passed", "passed"], lines.Take(3).Select(l => (string)l["result"]!));
        Assert.StartsWith("failed: AssertionError", (string)lines[3]["result"]!);
    }

    [SkippableFact]
    public void GreedyAsksForOneTemperatureZeroSample()
    {
        SandboxTestSupport.Create();
        using var dir = new TempDir();
        var model = new FakeLanguageModel(generate: r => Canonical[EntryPointOf(r.Prompt)]);

        var (metrics, _, lines) = HumanEvalModelRun.Run(model, HumanEvalFixture.WriteProblems(dir), Options(n: 7, greedy: true));

        Assert.Equal(1, (int)metrics["n_samples"]!);
        Assert.Equal(2, lines.Count);
        Assert.Equal(1.0, (double)metrics["pass@1"]!, 12);
        Assert.All(model.GenerationRequests, r => Assert.Equal(0.0, r.Temperature));
    }
}
