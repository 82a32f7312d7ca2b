using LoraLab.Evaluation;
using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Tasks;

public class WinoGrandeTaskTests
{
    // allenai/winogrande dev.jsonl schema (the HF schema has the same fields minus qID).
    private static readonly string[] Rows =
    [
        "{\"qID\": \"3QHITW7OYO7Q6B6ISU2UMJB84ZLAQE-2\", \"sentence\": \"Sarah was a much better surgeon than Maria so _ always got the harder " +
            "cases.\", \"option1\": \"Sarah\", \"option2\": \"Maria\", \"answer\": \"1\"}",
        "{\"qID\": \"a-1\", \"sentence\": \"The trophy doesn't fit into the suitcase because _ is too small.\", \"option1\": \"the trophy\", " +
            "\"option2\": \"the suitcase\", \"answer\": \"2\"}",
        "{\"qID\": \"b-1\", \"sentence\": \"Kyle lent money to Ben because _ was broke.\", \"option1\": \"Kyle\", \"option2\": \"Ben\", \"answer\": \"2\"}",
        "{\"qID\": \"c-1\", \"sentence\": \"The ice melted in the sun because _ was hot.\", \"option1\": \"the ice\", \"option2\": \"the sun\", " +
            "\"answer\": \"2\"}",
    ];

    [Fact]
    public void PartialScoringSplitsAtTheBlank()
    {
        using var dir = new TempDir();
        var task = WinoGrandeTask.FromFiles(Fixture.Write(dir, "wg.jsonl", Rows));
        var requests = task.BuildInstance(0, 0, 1234).LogLikelihoodRequests;
        Assert.Equal(
            [
                new LogLikelihoodRequest("Sarah was a much better surgeon than Maria so Sarah", " always got the harder cases."),
                new LogLikelihoodRequest("Sarah was a much better surgeon than Maria so Maria", " always got the harder cases."),
            ], requests);
    }

    [Fact]
    public void PredictsTheContextUnderWhichTheContinuationIsLikelier()
    {
        using var dir = new TempDir();
        var task = WinoGrandeTask.FromFiles(Fixture.Write(dir, "wg.jsonl", Rows[0], Rows[1]));
        // The model always prefers the first option: right on row 0 (answer 1), wrong on row 1 (answer 2).
        var model = new FakeLanguageModel(r => r.Context.EndsWith("Sarah") || r.Context.EndsWith("the trophy") ? -2.0 : -4.0);
        var report = Evaluator.Run(task, model, new EvalOptions());
        Assert.Equal([1.0, 0.0], report.Samples.Select(s => s.Metrics["acc"]));
        Assert.Equal(0.5, report.Metric("acc").Value);
        Assert.Equal("winogrande", report.Task);
    }

    [Fact]
    public void FewShotExamplesPrecedeEachPartialContext()
    {
        using var dir = new TempDir();
        var task = WinoGrandeTask.FromFiles(Fixture.Write(dir, "test.jsonl", Rows[0]), Fixture.Write(dir, "train.jsonl", Rows[1]));
        var requests = task.BuildInstance(0, 1, 1234).LogLikelihoodRequests;
        string shot = "The trophy doesn't fit into the suitcase because the suitcase is too small.\n\n";
        Assert.Equal(shot + "Sarah was a much better surgeon than Maria so Sarah", requests[0].Context);
        Assert.Equal(shot + "Sarah was a much better surgeon than Maria so Maria", requests[1].Context);
        Assert.Equal(" always got the harder cases.", requests[1].Continuation);
    }

    [Fact]
    public void SentenceWithoutBlankIsRejected()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "wg.jsonl", Rows[0].Replace(" _ ", " he "));
        var e = Assert.Throws<LoraLabException>(() => WinoGrandeTask.FromFiles(path));
        Assert.StartsWith($"{path}:1: field 'sentence' has no '_'", e.Message);
    }
}
