namespace LoraLab.Analysis;

/// <summary>
/// The Marchenko–Pastur law for an m × n matrix of i.i.d. zero-mean entries (m ≤ n, ratio λ = m/n): the eigenvalues x of
/// (1/n)·W Wᵀ (unit variance) have density p(x) = √((b − x)(x − a)) / (2π λ x) on [a, b], a = (1 − √λ)², b = (1 + √λ)².
/// From it, the expected share of rank needed to explain a share of the variance (Σ x over the top eigenvalues).
/// </summary>
public static class MarchenkoPastur
{
    /// <summary>Expected rank for <paramref name="threshold"/> of the variance of a random rows × cols Gaussian matrix.</summary>
    public static int ExpectedRank(long rows, long cols, double threshold = 0.9, int grid = 200_000)
    {
        long m = Math.Min(rows, cols), n = Math.Max(rows, cols);
        double lambda = (double)m / n;
        double a = Math.Pow(1 - Math.Sqrt(lambda), 2), b = Math.Pow(1 + Math.Sqrt(lambda), 2);
        // Integrate from the top edge b downwards: mass q(x) = ∫_x^b p, energy e(x) = ∫_x^b t p(t) dt (total energy 1).
        double h = (b - a) / grid, mass = 0, energy = 0;
        for (int i = 0; i < grid; i++)
        {
            double x = b - (i + 0.5) * h; // midpoint rule
            double p = Math.Sqrt(Math.Max(0, (b - x) * (x - a))) / (2 * Math.PI * lambda * x);
            mass += p * h;
            energy += x * p * h;
            if (energy >= threshold) return (int)Math.Ceiling(mass * m);
        }
        return (int)m;
    }
}
