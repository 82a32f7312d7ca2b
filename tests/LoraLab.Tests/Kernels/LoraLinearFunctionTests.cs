using LoraLab.Kernels;
using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The memory-saving LoRA node against libtorch's own autograd of the composed operations
/// y = x Wᵀ + s · ((x ⊙ m) Aᵀ) Bᵀ with the same dropout multiplier m. Several tests reseed libtorch's global generator
/// and compare two draws, so the class runs in the serial collection (a parallel test's randn between the reseed and
/// the draw changed the dropout key once under CI).
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class LoraLinearFunctionTests
{
    private static (Tensor Y, Tensor[] Grads) Reference(Tensor x, Tensor w, Tensor a, Tensor b, double s, Tensor? mask, Tensor gy)
    {
        var leaves = new[] { x, w, a, b }.Select(t => t.detach().requires_grad_(true)).ToArray();
        var d = mask is null ? leaves[0] : leaves[0] * mask;
        using Scalar scaling = s.ToScalar();
        var lora = nn.functional.linear(nn.functional.linear(d, leaves[2]), leaves[3]).mul(scaling);
        var y = nn.functional.linear(leaves[0], leaves[1]).add(lora, Scalars.One);
        y.backward(new[] { gy });
        return (y.detach(), leaves.Select(l => l.grad!.clone()).ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void ValuesAndGradientsEqualAutogradOfTheComposedOperations(double p)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(2, 5, 6); // (B, T, in)
        var w = randn(4, 6);
        var a = randn(3, 6);
        var b = randn(4, 3);
        var gy = randn(2, 5, 4);
        // The node draws its mask first thing, from a seed taken from the global generator; kept entries scale by 1/(1 − p).
        Tensor? mask = null;
        if (p > 0)
        {
            manual_seed(99);
            mask = empty(10, 6);
            DropoutMask.Apply(ones(10, 6), mask, 0, p, DropoutMask.NewKey()); // {0, 1/(1 − p)} per entry
            mask = mask.view(2, 5, 6);
            Assert.True(mask.eq(Scalars.Zero).any().item<bool>(), "the test needs some dropped entries");
        }
        var (yRef, gRef) = Reference(x, w, a, b, 1.5, mask, gy);

        var leaves = new[] { x, w, a, b }.Select(t => t.detach().requires_grad_(true)).ToArray();
        manual_seed(99);
        var y = LoraLinearFunction.apply(leaves[0], leaves[1], leaves[2], leaves[3], 1.5, p);
        Assert.Equal(new long[] { 2, 5, 4 }, y.shape);
        Assert.True(y.allclose(yRef, rtol: 1e-5, atol: 1e-5));
        y.backward(new[] { gy });
        for (int i = 0; i < 4; i++)
            Assert.True(leaves[i].grad!.allclose(gRef[i], rtol: 1e-4, atol: 1e-5), $"gradient {i} differs");
    }

    [Fact]
    public void FrozenInputsGetNoGradientAndFrozenBaseIsSkipped()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 6); // not requiring grad, like the first layer's input when embeddings are frozen
        var w = randn(4, 6);
        var a = randn(3, 6).requires_grad_(true);
        var b = randn(4, 3).requires_grad_(true);
        var y = LoraLinearFunction.apply(x, w, a, b, 2.0, 0.0);
        y.sum().backward();
        Assert.NotNull(a.grad);
        Assert.NotNull(b.grad);
        Assert.Null(x.grad);
        Assert.Null(w.grad);
    }

    [Fact]
    public void TrainingDropoutDrawsFromTheGlobalGeneratorSoReseedingRepeatsIt()
    {
        using var scope = NewDisposeScope();
        var layer = new LoraLinear(16, 8, new LoraConfig(4, new[] { "q_proj" }, dropout: 0.5), ScalarType.Float32);
        using (no_grad()) layer.LoraB.normal_();
        layer.train();
        var x = randn(32, 16).requires_grad_(true);
        Tensor Step()
        {
            var y = layer.call(x);
            return y.detach().clone();
        }
        manual_seed(3);
        var first = Step();
        var second = Step();
        manual_seed(3);
        var again = Step();
        Assert.True(first.equal(again).all().item<bool>(), "same global seed must give the same dropout");
        Assert.False(first.equal(second).all().item<bool>(), "successive steps must draw fresh dropout masks");
        // The mean over many draws of the dropped output is the undropped output.
        layer.eval();
        var clean = layer.call(x).detach();
        layer.train();
        var sum = zeros_like(clean);
        for (int i = 0; i < 400; i++) sum.add_(layer.call(x).detach(), Scalars.One);
        using Scalar draws = 400.ToScalar();
        var mean = sum.div(draws);
        Assert.True((mean - clean).abs().mean().item<float>() < 0.15 * clean.abs().mean().item<float>());
    }

    /// <summary>The keep decisions of a (rows, width) application: 1 where kept, 0 where dropped.</summary>
    private static Tensor Keep(long rows, long width, double p, ulong key, long firstRow = 0)
    {
        var m = empty(rows, width);
        DropoutMask.Apply(ones(rows, width), m, firstRow, p, key);
        return m.ne(Scalars.Zero).to_type(ScalarType.Float64);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.3)]
    [InlineData(0.9)]
    public void MasksKeepOneMinusPOfEntriesIndependently(double p)
    {
        using var scope = NewDisposeScope();
        const int rows = 200, width = 1000; // 200,000 entries
        var keep = Keep(rows, width, p, 42UL);
        double kept = keep.mean().item<double>();
        double sigma = Math.Sqrt(p * (1 - p) / (rows * width));
        Assert.InRange(kept, 1 - p - 5 * sigma, 1 - p + 5 * sigma);
        // Neighbouring entries are uncorrelated: P(both kept) ≈ (1 − p)².
        double both = (keep.narrow(1, 0, width - 1) * keep.narrow(1, 1, width - 1)).mean().item<double>();
        double sigma2 = Math.Sqrt((1 - p) * (1 - p) * (1 - (1 - p) * (1 - p)) / (rows * (width - 1)));
        Assert.InRange(both, (1 - p) * (1 - p) - 6 * sigma2, (1 - p) * (1 - p) + 6 * sigma2);
        // The same key repeats the draw; another key does not; p = 0 keeps everything.
        Assert.True(keep.equal(Keep(rows, width, p, 42UL)).all().item<bool>());
        Assert.False(keep.equal(Keep(rows, width, p, 43UL)).all().item<bool>());
        Assert.True(Keep(3, 11, 0.0, 7UL).eq(Scalars.One).all().item<bool>());
    }

    [Theory]
    [InlineData(1, 45)] // one row: two 16-wide (or five 8-wide) vector steps and a scalar tail
    [InlineData(7, 13)]
    [InlineData(300, 288)] // large enough to be split across threads
    public void KeptEntriesFollowTheHashFormulaEntryByEntry(int rows, int width)
    {
        // Independent scalar restatement of the rule: entry e = row·width + col is kept iff
        // lowbias32(lowbias32(e + k0) ^ k1) ≥ round(p·2³²), with k0/k1 the key's low/high 32 bits.
        using var scope = NewDisposeScope();
        const double p = 0.4;
        const ulong key = 0x0123456789ABCDEFUL;
        static uint LowBias32(uint x)
        {
            x ^= x >> 16; x *= 0x7feb352dU; x ^= x >> 15; x *= 0x846ca68bU; return x ^ (x >> 16);
        }
        var expected = new double[rows * width];
        uint threshold = (uint)Math.Round(p * 4294967296.0);
        for (int e = 0; e < expected.Length; e++)
            expected[e] = LowBias32(LowBias32((uint)e + unchecked((uint)key)) ^ (uint)(key >> 32)) >= threshold ? 1 : 0;
        Assert.Equal(expected, Keep(rows, width, p, key).data<double>().ToArray());
    }

    [Fact]
    public void RowBlocksSeeTheMaskOfTheWholeAndValuesAreScaled()
    {
        using var scope = NewDisposeScope();
        const double p = 0.25;
        var x = randn(50, 37);
        var whole = empty(50, 37);
        DropoutMask.Apply(x, whole, 0, p, 5UL);
        // Rows [20, 33) applied alone, as the node's row blocks are, give the same rows of the whole.
        var part = empty(13, 37);
        DropoutMask.Apply(x.narrow(0, 20, 13), part, 20, p, 5UL);
        Assert.True(part.equal(whole.narrow(0, 20, 13)).all().item<bool>());
        // Kept entries are x / (1 − p), dropped ones exactly 0; in place gives the same.
        var kept = whole.ne(Scalars.Zero);
        using Scalar keptFraction = (1 - p).ToScalar();
        Assert.True(whole.masked_select(kept).allclose(x.masked_select(kept).div(keptFraction), rtol: 1e-6, atol: 0));
        var inPlace = x.clone();
        DropoutMask.Apply(inPlace, inPlace, 0, p, 5UL);
        Assert.True(inPlace.equal(whole).all().item<bool>());
        // Wrong dtype or mismatched shapes are refused.
        Assert.Throws<ArgumentException>(() => DropoutMask.Apply(x.to_type(ScalarType.Float64), whole, 0, p, 5UL));
        Assert.Throws<ArgumentException>(() => DropoutMask.Apply(x, part, 0, p, 5UL));
    }

    [Theory]
    [InlineData(50, 37)] // a tail after the 8- and 16-wide steps
    [InlineData(9, 344)] // the demo's down_proj width: 21 sixteen-wide steps and an 8-entry tail
    [InlineData(4, 128)]
    public void AMaskRecordedAsBitsReplaysTheSameValues(int rows, int width)
    {
        using var scope = NewDisposeScope();
        const double p = 0.3;
        var x = randn(rows, width);
        var hashed = empty(rows, width);
        using Scalar stale = 0xAB.ToScalar();
        var bits = full(rows, DropoutMask.RowBytes(width), stale, dtype: ScalarType.Byte); // stale bytes must be overwritten
        DropoutMask.Apply(x.narrow(0, 1, rows - 1), hashed.narrow(0, 1, rows - 1), 7, p, 11UL, bits.narrow(0, 1, rows - 1));
        var replayed = empty(rows - 1, width);
        DropoutMask.Replay(x.narrow(0, 1, rows - 1), replayed, bits.narrow(0, 1, rows - 1), p);
        Assert.True(replayed.equal(hashed.narrow(0, 1, rows - 1)).all().item<bool>());
        // Each bit is the keep decision of its entry: bit j % 8 of byte j / 8.
        var keep = hashed.narrow(0, 1, rows - 1).ne(Scalars.Zero).to_type(ScalarType.Int32); // (rows − 1, width)
        var one = tensor(1); // the shift and mask operands are 0-dim int32 tensors
        var unpacked = stack(Enumerable.Range(0, width).Select(j =>
            bits.narrow(0, 1, rows - 1).select(1, j / 8).to_type(ScalarType.Int32).bitwise_right_shift(tensor(j % 8)).bitwise_and(one)).ToArray(), 1);
        Assert.True(unpacked.equal(keep).all().item<bool>());
        // A record of the wrong shape is refused.
        Assert.Throws<ArgumentException>(() => DropoutMask.Replay(x, empty(rows, width), empty(rows, width, dtype: ScalarType.Byte), p));
    }
}
