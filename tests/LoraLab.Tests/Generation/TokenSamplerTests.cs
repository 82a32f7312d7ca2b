using LoraLab.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Generation;

/// <summary>
/// Draw frequencies of temperature / top-k / top-p sampling against the closed-form distribution (Pearson's chi-square,
/// 40 000 draws, fixed seeds, significance 0.001), and per-row generators: a row's draws never depend on other rows.
/// </summary>
public class TokenSamplerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Draws = 40_000;

    // chi-square quantiles at 1 − 0.001 for 1..9 degrees of freedom
    private static readonly double[] Critical = [10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877];

    public static TheoryData<string, double[], double, int, double> Cases => new()
    {
        // name, probabilities before temperature (logits = ln q), temperature, top-k, top-p
        { "temperature sharpens: p ∝ q^(1/T)", [0.35, 0.25, 0.2, 0.1, 0.06, 0.04], 0.5, 0, 1.0 },
        { "temperature flattens", [0.35, 0.25, 0.2, 0.1, 0.06, 0.04], 2.5, 0, 1.0 },
        { "top-k keeps ties with the k-th", [0.4, 0.2, 0.2, 0.1, 0.06, 0.04], 1.0, 2, 1.0 },
        { "top-p keeps the smallest set reaching p", [0.5, 0.25, 0.15, 0.1], 1.0, 0, 0.7 },
        { "top-p with tied probabilities", [0.2, 0.4, 0.2, 0.2], 1.0, 0, 0.5 },
        { "temperature before top-p", [0.5, 0.3, 0.2], 2.0, 0, 0.75 },
        { "temperature, top-k and top-p together", [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02], 0.8, 5, 0.8 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DrawFrequenciesMatchTheClosedForm(string name, double[] q, double temperature, int topK, double topP)
    {
        var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP };
        double[] expected = ClosedForm(q, temperature, topK, topP);
        using var scope = NewDisposeScope();
        var logits = tensor(q.Select(x => (float)Math.Log(x)).ToArray()).unsqueeze(0); // (1, V)

        float[] probs = TokenSampler.Probabilities(logits, options).data<float>().ToArray();
        for (int i = 0; i < q.Length; i++)
            Assert.True(Math.Abs(probs[i] - expected[i]) < 1e-6, $"{name}: p[{i}] = {probs[i]}, closed form {expected[i]}");

        long[] counts = Counts(logits.expand(Draws, q.Length), options, q.Length);
        double chi2 = ChiSquare(counts, expected);
        int df = expected.Count(e => e > 0) - 1;
        output.WriteLine($"{name}: chi-square {chi2:F2}, {df} degrees of freedom, counts [{string.Join(", ", counts)}]");
        Assert.True(df == 0 ? chi2 == 0 : chi2 < Critical[df - 1],
            $"{name}: chi-square {chi2:F2} with {df} degrees of freedom; counts [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void HandComputedDistributionsAndWrongRulesAreRejected()
    {
        // top-p 0.7 over [0.5, 0.25, 0.15, 0.1]: 0.5 alone < 0.7, 0.5 + 0.25 ≥ 0.7 → [2/3, 1/3, 0, 0]
        Assert.Equal([2 / 3.0, 1 / 3.0, 0, 0], ClosedForm([0.5, 0.25, 0.15, 0.1], 1.0, 0, 0.7), new Tolerance(1e-12));
        // ties: 0.4 then the lowest-id 0.2 reach 0.5 → [1/3, 2/3, 0, 0]
        Assert.Equal([1 / 3.0, 2 / 3.0, 0, 0], ClosedForm([0.2, 0.4, 0.2, 0.2], 1.0, 0, 0.5), new Tolerance(1e-12));
        // T = 2 first: ∝ √q = [0.415, 0.322, 0.263]; 0.415 + 0.322 < 0.75, so all three stay
        Assert.Equal(3, ClosedForm([0.5, 0.3, 0.2], 2.0, 0, 0.75).Count(p => p > 0));

        // the test has power: draws are far from what a wrong rule would give
        using var scope = NewDisposeScope();
        var pOptions = new GenerationOptions { Temperature = 1.0, TopP = 0.7 };
        long[] topP = Counts(tensor(new[] { 0.5, 0.25, 0.15, 0.1 }.Select(x => (float)Math.Log(x)).ToArray()).unsqueeze(0).expand(Draws, 4), pOptions, 4);
        double[] keepsOneMore = [0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0]; // "mass strictly above p"
        Assert.True(ChiSquare(topP, keepsOneMore) > 1000);
        var tOptions = new GenerationOptions { Temperature = 2.0, TopP = 0.75 };
        long[] order = Counts(tensor(new[] { 0.5, 0.3, 0.2 }.Select(x => (float)Math.Log(x)).ToArray()).unsqueeze(0).expand(Draws, 3), tOptions, 3);
        double[] topPFirst = [Math.Sqrt(0.5) / (Math.Sqrt(0.5) + Math.Sqrt(0.3)), Math.Sqrt(0.3) / (Math.Sqrt(0.5) + Math.Sqrt(0.3)), 0];
        Assert.True(ChiSquare(order, topPFirst) > 1000);
        double[] temperatureIgnored = [0.5, 0.3, 0.2];
        Assert.True(ChiSquare(order, temperatureIgnored) > 100);
    }

    [Fact]
    public void ARowDrawsTheSameAloneAndInABatch()
    {
        using var scope = NewDisposeScope();
        var options = new GenerationOptions { Temperature = 0.9, TopK = 20, TopP = 0.95 };
        long[] seeds = [GenerationOptions.RequestSeed(7, 0), GenerationOptions.RequestSeed(7, 1), GenerationOptions.RequestSeed(7, 2)];
        var batch = new TokenSampler(options, seeds);
        var alone = new TokenSampler(options, [seeds[1]]);
        var reordered = new TokenSampler(options, [seeds[1], seeds[2], seeds[0]]);
        var gen = new TorchSharp.torch.Generator(11);
        using Scalar three = 3.ToScalar();
        for (int step = 0; step < 50; step++)
        {
            var logits = randn(3, 50, generator: gen).mul(three); // (3, V)
            long inBatch = batch.Next(logits)[1];
            Assert.Equal(inBatch, alone.Next(logits.narrow(0, 1, 1))[0]);
            Assert.Equal(inBatch, reordered.Next(logits.index_select(0, tensor(new long[] { 1, 2, 0 })))[0]);
        }
    }

    [Fact]
    public void RequestSeedsDifferByIndexAndSeed()
    {
        var seeds = new HashSet<long>();
        for (long s = 0; s < 20; s++)
            for (long i = 0; i < 50; i++) seeds.Add(GenerationOptions.RequestSeed(s, i));
        Assert.Equal(1000, seeds.Count);
    }

    /// <summary>How often each token is drawn, one draw per row, each row with its own request seed.</summary>
    private static long[] Counts(Tensor logits, GenerationOptions options, int vocab)
    {
        var seeds = Enumerable.Range(0, (int)logits.shape[0]).Select(i => GenerationOptions.RequestSeed(2026, i)).ToArray();
        var counts = new long[vocab];
        foreach (long id in new TokenSampler(options, seeds).Next(logits)) counts[id]++;
        return counts;
    }

    /// <summary>Pearson's statistic; a draw of a token with expected probability 0 makes it infinite.</summary>
    private static double ChiSquare(long[] counts, double[] expected)
    {
        long n = counts.Sum();
        double chi2 = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double e = expected[i] * n;
            if (e == 0) chi2 += counts[i] == 0 ? 0 : double.PositiveInfinity;
            else chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi2;
    }

    /// <summary>
    /// The rule stated independently: p ∝ q^(1/T); top-k keeps values ≥ the k-th largest; top-p ranks by (p desc, id asc)
    /// and keeps a token while the mass ranked before it is &lt; p; renormalise.
    /// </summary>
    private static double[] ClosedForm(double[] q, double temperature, int topK, double topP)
    {
        double[] w = q.Select(x => Math.Pow(x, 1 / temperature)).ToArray();
        if (topK > 0 && topK < w.Length)
        {
            double kth = w.OrderByDescending(x => x).ElementAt(topK - 1);
            w = w.Select(x => x >= kth ? x : 0).ToArray();
        }
        double total = w.Sum();
        double[] p = w.Select(x => x / total).ToArray();
        if (topP < 1)
        {
            double before = 0;
            foreach (int i in Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToList())
            {
                double pi = p[i];
                if (before >= topP) p[i] = 0;
                before += pi;
            }
            total = p.Sum();
            p = p.Select(x => x / total).ToArray();
        }
        return p;
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;

        public int GetHashCode(double x) => 0;
    }

    [Theory]
    [InlineData(new float[] { 1f, 3f, 3f, 2f })] // ties: the first maximum
    [InlineData(new float[] { 1f, float.NaN, 5f, float.NaN })] // NaN counts as the maximum
    [InlineData(new float[] { float.NegativeInfinity, float.NegativeInfinity })]
    [InlineData(new float[] { -2f })]
    public void ArgMaxIsLibtorchsArgmax(float[] logits)
    {
        using var row = TorchSharp.torch.tensor(logits);
        Assert.Equal(row.argmax().item<long>(), TokenSampler.ArgMax(logits));
    }
}
