using LoraLab.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Reports;

public class ReportJsonTests
{
    [Fact]
    public void RoundTripsWithSnakeCaseNames()
    {
        using var temp = new TempDir();
        var data = FakeStudy.Create();
        ReportJson.Save(data, temp.File("study.json"));
        string json = File.ReadAllText(temp.File("study.json"));
        foreach (var name in new[] { "\"run_id\"", "\"learning_rate\"", "\"tokens_seen\"", "\"higher_is_better\"", "\"variance_rank\"",
            "\"random_baseline_rank\"", "\"training_loss\"" })
            Assert.Contains(name, json);
        Assert.DoesNotContain("method_label", json); // derived properties are not stored
        var back = ReportJson.Load(temp.File("study.json"));
        Assert.Equal(ReportJson.Serialize(data), ReportJson.Serialize(back));
        Assert.Equal(data.Runs[3].Checkpoints[2], back.Runs[3].Checkpoints[2]);
    }

    [Fact]
    public void MissingRequiredFieldNamesTheFile()
    {
        var e = Assert.Throws<LoraLabException>(() => ReportJson.Parse(
            """{"title": "t", "target": {"name": "a", "higher_is_better": true}, "runs": []}""", "study.json"));
        Assert.StartsWith("study.json: invalid report JSON", e.Message);
        Assert.Contains("forgetting", e.Message);
    }

    [Theory]
    [InlineData("lora", null, 1e-4, "cpt", "runs[0].rank")]
    [InlineData("full", 8, 1e-4, "cpt", "runs[0].rank")]
    [InlineData("full", null, -1.0, "cpt", "runs[0].learning_rate")]
    [InlineData("full", null, 1e-4, "sft", "runs[0].regime")]
    public void BadRunFieldsAreNamed(string method, int? rank, double lr, string regime, string field)
    {
        var data = FakeStudy.Create();
        var bad = data with { Runs = [data.Runs[0] with { Method = method, Rank = rank, LearningRate = lr, Regime = regime }] };
        var e = Assert.Throws<LoraLabException>(() => ReportValidator.Validate(bad, "study.json"));
        Assert.StartsWith($"study.json: {field}:", e.Message);
    }

    [Fact]
    public void NonFiniteScoresDuplicateIdsAndImpossibleRanksAreRejected()
    {
        var data = FakeStudy.Create();
        var run = data.Runs[1];
        var nan = run with { Checkpoints = [run.Checkpoints[0] with { Target = double.NaN }] };
        Assert.Contains("runs[0].checkpoints[0].target", Assert.Throws<LoraLabException>(() => ReportValidator.Validate(data with { Runs = [nan] })).Message);
        Assert.Contains("appears twice", Assert.Throws<LoraLabException>(() => ReportValidator.Validate(data with { Runs = [run, run] })).Message);
        var big = run with { Spectrum = [run.Spectrum![0] with { DeltaRank = 289 }] }; // q_proj is 288 × 288
        Assert.Contains("runs[0].spectrum[0].variance_rank",
            Assert.Throws<LoraLabException>(() => ReportValidator.Validate(data with { Runs = [big] })).Message);
        Assert.Contains("spectrum_run_id", Assert.Throws<LoraLabException>(() => ReportValidator.Validate(data with { SpectrumRunId = "nope" })).Message);
    }
}
