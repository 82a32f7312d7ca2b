namespace LoraLab.Evaluation;

/// <summary>
/// Diversity of n sampled outputs per prompt. For one prompt: unique fraction = number of distinct output strings
/// (exact, ordinal comparison) / n; distinct-k = number of distinct word k-grams / total word k-grams, counted over
/// all n samples together, where words are the sample split on whitespace (any run of Unicode whitespace, so
/// punctuation stays attached to its word) and k-grams never cross from one sample into the next. With no k-grams
/// at all, distinct-k is 0. Over several prompts each measure is the mean of the per-prompt values.
/// </summary>
public static class Diversity
{
    public static DiversityResult Compute(IReadOnlyList<string> samples) => Compute([samples]);

    public static DiversityResult Compute(IReadOnlyList<IReadOnlyList<string>> samplesPerPrompt)
    {
        var prompts = samplesPerPrompt.Where(s => s.Count > 0).ToList();
        if (prompts.Count == 0) return new DiversityResult(0, 0, double.NaN, double.NaN, double.NaN, double.NaN);
        double unique = prompts.Average(s => (double)s.Distinct(StringComparer.Ordinal).Count() / s.Count);
        return new DiversityResult(prompts.Count, prompts.Sum(s => s.Count), unique,
            prompts.Average(s => DistinctN(s, 1)), prompts.Average(s => DistinctN(s, 2)), prompts.Average(s => DistinctN(s, 3)));
    }

    /// <summary>Distinct word n-grams / total word n-grams over the samples (n-grams within each sample).</summary>
    public static double DistinctN(IReadOnlyList<string> samples, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "n-gram order must be ≥ 1");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (string sample in samples)
        {
            string[] words = sample.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + n <= words.Length; i++)
            {
                seen.Add(string.Join('\u0001', words, i, n));
                total++;
            }
        }
        return total == 0 ? 0.0 : (double)seen.Count / total;
    }
}
