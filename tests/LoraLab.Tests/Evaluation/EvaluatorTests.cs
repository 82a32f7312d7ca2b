using System.Text.Json.Nodes;
using LoraLab.Evaluation;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation;

public class EvaluatorTests
{
    [Theory]
    [InlineData(new[] { 1.0, 0.0, 1.0, 1.0, 0.0 }, 0.6, 0.24494897427831783)] // sqrt(0.6·0.4/4)
    [InlineData(new[] { 1.0, 1.0 }, 1.0, 0.0)]
    public void MeanAndStderrOfZeroOneValues(double[] values, double mean, double stderr)
    {
        var m = MetricResult.FromSamples("acc", values);
        Assert.Equal(mean, m.Value, 12);
        Assert.Equal(stderr, m.Stderr, 12);
    }

    [Fact]
    public void SingleSampleHasNoStderr() => Assert.True(double.IsNaN(MetricResult.FromSamples("acc", [1.0]).Stderr));

    private static EvalReport Report(string task, string metric, double value, double stderr) =>
        new(task, 0, null, 1234, metric, [new MetricResult(metric, value, stderr, 100)], []);

    [Fact]
    public void ForgettingScoreAveragesHellaSwagArcAndWinoGrande()
    {
        var score = ForgettingScore.Compute(
        [
            Report("hellaswag", "acc_norm", 0.60, 0.03),
            Report("arc_challenge", "acc_norm", 0.40, 0.04),
            Report("winogrande", "acc", 0.65, 0.012),
            Report("gsm8k", "exact_match,strict-match", 0.1, 0.01),
        ]);
        Assert.Equal(0.55, score.Value, 12);
        Assert.Equal(Math.Sqrt(0.03 * 0.03 + 0.04 * 0.04 + 0.012 * 0.012) / 3, score.Stderr, 12);
        Assert.Throws<LoraLabException>(() => ForgettingScore.Compute([Report("hellaswag", "acc_norm", 0.6, 0.03)]));
    }

    [Fact]
    public void MetricsAndSampleLogsAreLmEvalShaped()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "wg.jsonl",
            "{\"sentence\": \"Kyle lent money to Ben because _ was broke.\", \"option1\": \"Kyle\", \"option2\": \"Ben\", \"answer\": \"2\"}",
            "{\"sentence\": \"The ice melted because _ was hot.\", \"option1\": \"the sun\", \"option2\": \"the ice\", \"answer\": \"1\"}");
        var report = Evaluator.Run(LoraLab.Evaluation.Tasks.WinoGrandeTask.FromFiles(path),
            new FakeLanguageModel(r => r.Context.EndsWith("Ben") || r.Context.EndsWith("the sun") ? -1.0 : -3.0), new EvalOptions());

        Assert.Equal("winogrande", report.Task);
        var metrics = EvalReportWriter.MetricsJson(report.Metrics);
        Assert.Equal(1.0, (double?)metrics["acc"]);
        Assert.Equal(0.0, (double?)metrics["acc_stderr"]);
        Assert.Equal(2, report.Samples.Count);
        var first = JsonNode.Parse(EvalReportWriter.SampleJson(report.Samples[0]).ToJsonString(JsonFormats.Line))!;
        Assert.Equal("Kyle lent money to Ben because Kyle", (string?)first["prompt"]);
        Assert.Equal(-3.0, (double?)first["loglikelihoods"]![0]);
        Assert.True((bool?)first["correct"]);
    }
}
