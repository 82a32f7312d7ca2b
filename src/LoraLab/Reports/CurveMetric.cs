using LoraLab.Evaluation.Suite;

namespace LoraLab.Reports;

/// <summary>
/// Which value of a <c>curve.jsonl</c> row (written by <c>loralab eval --run</c>) a report plots: <c>target_score</c>,
/// <c>forgetting_score</c>, or <c>TASK/METRIC</c> from the row's results (e.g. <c>perplexity/nll_per_token</c>). Losses,
/// NLL, perplexity and bits per byte are lower-is-better; everything else higher-is-better.
/// </summary>
public sealed record CurveMetric(string Key)
{
    public const string TargetScore = "target_score";
    public const string ForgettingScore = "forgetting_score";

    /// <summary>The fallback forgetting measure when the three-task forgetting score was not run: source-domain NLL.</summary>
    public const string SourceNll = "perplexity/nll_per_token";

    public bool HigherIsBetter => !(Key.Contains("nll", StringComparison.Ordinal) || Key.Contains("perplexity/perplexity", StringComparison.Ordinal)
        || Key.Contains("bits_per_byte", StringComparison.Ordinal) || Key.Contains("loss", StringComparison.Ordinal));

    /// <summary>The default forgetting measure of curve rows: forgetting_score when every row has it, else <see cref="SourceNll"/>.</summary>
    public static CurveMetric DefaultForgetting(IEnumerable<CurveRow> rows)
    {
        var score = new CurveMetric(ForgettingScore);
        return rows.All(r => score.ValueIn(r) is not null) ? score : new CurveMetric(SourceNll);
    }

    /// <summary>The value in a curve row, or null when the row lacks it.</summary>
    public double? ValueIn(CurveRow row)
    {
        if (Key == TargetScore) return row.TargetScore;
        if (Key == ForgettingScore) return row.ForgettingScore;
        int slash = Key.IndexOf('/');
        return slash > 0 ? row.Result(Key[..slash], Key[(slash + 1)..]) : null;
    }

    /// <summary>Parses an option value: target_score, forgetting_score or TASK/METRIC.</summary>
    public static CurveMetric Parse(string text, string option)
    {
        string t = text.Trim();
        if (t is TargetScore or ForgettingScore || (t.IndexOf('/') is int i && i > 0 && i < t.Length - 1)) return new CurveMetric(t);
        throw new LoraLabException($"{option} '{text}': expected target_score, forgetting_score or TASK/METRIC (e.g. perplexity/nll_per_token)");
    }
}
