namespace LoraLab.Evaluation;

/// <summary>An aggregated metric: the mean over samples and its standard error (NaN when fewer than 2 samples).</summary>
public sealed record MetricResult(string Name, double Value, double Stderr, int Count)
{
    /// <summary>
    /// lm-eval's <c>mean</c> and <c>mean_stderr</c>: the sample standard deviation (ddof = 1) divided by sqrt(n).
    /// For 0/1 values this is sqrt(p(1−p)/(n−1)).
    /// </summary>
    public static MetricResult FromSamples(string name, IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new MetricResult(name, double.NaN, double.NaN, 0);
        double mean = values.Average();
        if (n < 2) return new MetricResult(name, mean, double.NaN, n);
        double ss = 0;
        foreach (double v in values) ss += (v - mean) * (v - mean);
        return new MetricResult(name, mean, Math.Sqrt(ss / (n - 1)) / Math.Sqrt(n), n);
    }
}
