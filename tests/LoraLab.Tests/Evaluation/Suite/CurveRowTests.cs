using LoraLab.Evaluation.Suite;
using LoraLab.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Suite;

/// <summary>curve.jsonl through <see cref="CurveRow"/>: the file format of existing runs, read and written unchanged.</summary>
public class CurveRowTests
{
    // two rows laid out by hand in the format eval --run has always written: keys in this order, absent values null
    private const string Curve =
        "{\"step\":10,\"tokens\":2560,\"checkpoint\":\"checkpoints/step-000010\",\"method\":\"lora\",\"results\":{\"perplexity\":"
        + "{\"nll_per_token\":2.5,\"bits_per_byte\":0.125},\"gsm8k\":{\"exact_match,strict-match\":0.5}},\"forgetting_score\":null,"
        + "\"target_score\":0.5,\"target_metric\":\"gsm8k/exact_match,strict-match\"}\n"
        + "{\"step\":20,\"tokens\":5120,\"checkpoint\":\"checkpoints/step-000020\",\"method\":null,\"results\":{},"
        + "\"forgetting_score\":0.75,\"target_score\":null,\"target_metric\":null}\n";

    [Fact]
    public void ReadsAndWritesTheFileByteForByte()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("in.jsonl"), Curve);
        var rows = CurveRow.ReadFile(dir.File("in.jsonl"));
        Assert.Equal([10L, 20L], rows.Select(r => r.Step));
        Assert.Equal((2560L, "checkpoints/step-000010", "lora"), (rows[0].Tokens, rows[0].Checkpoint, rows[0].Method));
        Assert.Equal(0.125, rows[0].Result("perplexity", "bits_per_byte"));
        Assert.Null(rows[1].Result("perplexity", "bits_per_byte"));
        Assert.Equal((null, 0.5), (rows[0].ForgettingScore, rows[0].TargetScore));
        CurveRow.WriteFile(dir.File("out.jsonl"), rows);
        Assert.Equal(Curve, File.ReadAllText(dir.File("out.jsonl")));
    }

    [Fact]
    public void UnknownKeysAreIgnoredMissingOnesAreEmptyAndAMissingStepNamesTheLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.jsonl"), "{\"step\":3,\"extra\":[1,2]}\n\n{\"tokens\":5}\n");
        var e = Assert.Throws<LoraLabException>(() => CurveRow.ReadFile(dir.File("c.jsonl")));
        Assert.StartsWith(dir.File("c.jsonl") + ":3: not a curve row", e.Message);
        Assert.Contains("step", e.Message);

        File.WriteAllText(dir.File("c.jsonl"), "{\"step\":3,\"extra\":[1,2]}\n");
        var row = Assert.Single(CurveRow.ReadFile(dir.File("c.jsonl")));
        Assert.Equal((3L, 0L, (string?)null, (double?)null), (row.Step, row.Tokens, row.Method, row.TargetScore));
        Assert.Empty(row.Results);
        Assert.Contains("not found", Assert.Throws<LoraLabException>(() => CurveRow.ReadFile(dir.File("none.jsonl"))).Message);
    }

    [Fact]
    public void CurveMetricReadsScoresAndTaskMetrics()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("in.jsonl"), Curve);
        var rows = CurveRow.ReadFile(dir.File("in.jsonl"));
        Assert.Equal(0.5, new CurveMetric(CurveMetric.TargetScore).ValueIn(rows[0]));
        Assert.Equal(2.5, new CurveMetric(CurveMetric.SourceNll).ValueIn(rows[0]));
        Assert.Null(new CurveMetric(CurveMetric.ForgettingScore).ValueIn(rows[0]));
        Assert.Null(new CurveMetric("gsm8k/nope").ValueIn(rows[0]));
        Assert.Equal(CurveMetric.SourceNll, CurveMetric.DefaultForgetting(rows).Key); // row 10 lacks forgetting_score
        Assert.Equal(CurveMetric.ForgettingScore, CurveMetric.DefaultForgetting(rows.Skip(1)).Key);
    }
}
