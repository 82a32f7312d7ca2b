using LoraLab.Training;

namespace LoraLab.Tests.Training;

public class DurationTests
{
    [Theory]
    [InlineData("20ba", 20, DurationUnit.Batch)]
    [InlineData("1000tok", 1000, DurationUnit.Token)]
    [InlineData("2ep", 2, DurationUnit.Epoch)]
    [InlineData("0.1dur", 0.1, DurationUnit.Duration)]
    [InlineData(" 1_000tok ", 1000, DurationUnit.Token)]
    [InlineData("1.5ep", 1.5, DurationUnit.Epoch)]
    public void ParsesComposerTimeStrings(string text, double value, DurationUnit unit)
    {
        Assert.Equal(new Duration(value, unit), Duration.Parse(text));
    }

    [Theory]
    [InlineData("20", "no unit")]
    [InlineData("abcba", "no valid number")]
    [InlineData("-5ba", "negative")]
    [InlineData("2.5ba", "whole number")]
    [InlineData("", "no unit")]
    [InlineData("10sp", "no unit")]
    public void RejectsBadStringsNamingTheField(string text, string why)
    {
        var ex = Assert.Throws<LoraLabException>(() => Duration.Parse(text, "scheduler.t_warmup"));
        Assert.StartsWith("scheduler.t_warmup: ", ex.Message);
        Assert.Contains(why, ex.Message);
    }

    [Fact]
    public void ConvertsToBatches()
    {
        // 8 sequences × 128 tokens = 1024 tokens per batch, 50 batches per epoch, max_duration 2ep = 100 batches.
        var ctx = new DurationContext(1024, 50, Duration.Parse("2ep"));
        Assert.Equal(20, Duration.Parse("20ba").ToBatches(ctx));
        Assert.Equal(2048.0 / 1024, Duration.Parse("2048tok").ToBatches(ctx));
        Assert.Equal(1000.0 / 1024, Duration.Parse("1000tok").ToBatches(ctx)); // exact fraction, as Composer compares tokens
        Assert.Equal(1, Duration.Parse("1000tok").ToWholeBatches(ctx));
        Assert.Equal(75, Duration.Parse("1.5ep").ToBatches(ctx));
        Assert.Equal(10, Duration.Parse("0.1dur").ToBatches(ctx)); // int(0.1 × 50 × 2)
        Assert.Equal(14, Duration.Parse("0.149dur").ToBatches(ctx)); // int(14.9), truncated as Composer
    }

    [Fact]
    public void DurFractionOfBatchOrTokenMaxDuration()
    {
        var ba = new DurationContext(300, null, Duration.Parse("1000ba"));
        Assert.Equal(100, Duration.Parse("0.1dur").ToBatches(ba));
        var tok = new DurationContext(300, null, Duration.Parse("3000tok"));
        Assert.Equal(1, Duration.Parse("0.1dur").ToBatches(tok)); // 300 tok of 3000 = 1 batch
        Assert.Equal(10, Duration.Parse("3000tok").ToWholeBatches(tok));
        Assert.Equal(4, Duration.Parse("1000tok").ToWholeBatches(tok)); // 3.33 batches → a run of 4
    }

    [Fact]
    public void ConversionErrorsAreUserErrors()
    {
        var noEpoch = new DurationContext(100, null, null);
        Assert.Contains("batches per epoch", Assert.Throws<LoraLabException>(() => Duration.Parse("1ep").ToBatches(noEpoch)).Message);
        Assert.Contains("max_duration", Assert.Throws<LoraLabException>(() => Duration.Parse("0.5dur").ToBatches(noEpoch)).Message);
    }

    [Fact]
    public void RoundTripsToString()
    {
        Assert.Equal("0.1dur", Duration.Parse("0.1dur").ToString());
        Assert.Equal("20ba", Duration.Parse("20ba").ToString());
    }
}
