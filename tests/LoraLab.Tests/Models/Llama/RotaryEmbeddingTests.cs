using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

public class RotaryEmbeddingTests
{
    [Fact]
    public void InverseFrequenciesAreThetaPowers()
    {
        // head_dim 8, θ = 10000: θ^(−2i/8) = 1, 0.1, 0.01, 0.001
        Assert.Equal(new[] { 1.0, 0.1, 0.01, 0.001 }, RotaryEmbedding.InverseFrequencies(8, 10000, null), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Llama3ScalingFollowsTheBandFormula()
    {
        // factor 8, low 1, high 4, original context 16: low-freq wavelength 16, high-freq wavelength 4.
        // wavelengths 2π/inv = 6.283, 62.83, 628.3, 6283. Index 0 is between 4 and 16, so it is smoothed:
        // smooth = (16/6.283185 − 1)/(4 − 1) = 0.515493; inv = (1 − smooth)·1/8 + smooth·1 = 0.576056.
        // The rest exceed 16 and are divided by 8.
        var scaling = new RopeScaling("llama3", 8, 1, 4, 16);
        double smooth = (16 / (2 * Math.PI) - 1) / 3;
        var expected = new[] { (1 - smooth) / 8 + smooth, 0.0125, 0.00125, 0.000125 };
        Assert.Equal(0.576056, expected[0], 6);
        Assert.Equal(expected, RotaryEmbedding.InverseFrequencies(8, 10000, scaling), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void RotationOfAPairMatchesTheClosedForm()
    {
        // One head of dim 4: pairs (x0, x2) and (x1, x3) rotate by pos·inv[0] and pos·inv[1].
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 1, 1, 4); // (B, H, T, D)
        var inv = tensor(new float[] { 1.0f, 0.01f });
        var (cos, sin) = RotaryEmbedding.CosSin(tensor(new long[] { 3 }).reshape(1, 1), inv);
        var y = RotaryEmbedding.Apply(x, cos, sin).flatten().data<float>().ToArray();
        double a = 3.0, b = 0.03;
        var expected = new[]
        {
            1 * Math.Cos(a) - 3 * Math.Sin(a), 2 * Math.Cos(b) - 4 * Math.Sin(b),
            1 * Math.Sin(a) + 3 * Math.Cos(a), 2 * Math.Sin(b) + 4 * Math.Cos(b),
        };
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], y[i], 5);
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
