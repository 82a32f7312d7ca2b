using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Peft;

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
        var y = nn.functional.linear(leaves[0], leaves[1]) + nn.functional.linear(nn.functional.linear(d, leaves[2]), leaves[3]) * s;
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
            mask = DropoutMask.UnpackRows(DropoutMask.Draw(10, 6, p), 6).to_type(ScalarType.Float32).div_(1 - p).view(2, 5, 6);
            Assert.True(mask.eq(0).any().item<bool>(), "the test needs some dropped entries");
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
        for (int i = 0; i < 400; i++) sum.add_(layer.call(x).detach());
        var mean = sum / 400;
        Assert.True((mean - clean).abs().mean().item<float>() < 0.15 * clean.abs().mean().item<float>());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 8)]
    [InlineData(5, 13)]
    [InlineData(64, 768)]
    public void PackedMaskRoundTrips(int rows, int width)
    {
        using var scope = NewDisposeScope();
        var keep = empty(rows, width).bernoulli_(0.5).to_type(ScalarType.Bool);
        var packed = PackRows(keep);
        Assert.Equal(new long[] { rows, (width + 7) / 8 }, packed.shape);
        Assert.True(DropoutMask.UnpackRows(packed, width).equal(keep).all().item<bool>());
    }

    [Fact]
    public void PackedMaskUsesNumpyLittleBitOrder()
    {
        using var scope = NewDisposeScope();
        // numpy.packbits([1,0,1,1,0,0,0,1, 1], bitorder="little") == [0b10001101, 0b00000001] == [141, 1]
        var keep = tensor(new float[] { 1, 0, 1, 1, 0, 0, 0, 1, 1 }).reshape(1, 9);
        Assert.Equal(new byte[] { 141, 1 }, PackRows(keep).data<byte>().ToArray());
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.3)]
    [InlineData(0.9)]
    public void DrawnMasksKeepOneMinusPOfEntriesIndependently(double p)
    {
        using var scope = NewDisposeScope();
        const int rows = 200, width = 1000; // 200,000 entries
        var keep = DropoutMask.UnpackRows(DropoutMask.Draw(rows, width, p, 42UL), width).to_type(ScalarType.Float64);
        double kept = keep.mean().item<double>();
        double sigma = Math.Sqrt(p * (1 - p) / (rows * width));
        Assert.InRange(kept, 1 - p - 5 * sigma, 1 - p + 5 * sigma);
        // Neighbouring entries are uncorrelated: P(both kept) ≈ (1 − p)².
        double both = (keep.narrow(1, 0, width - 1) * keep.narrow(1, 1, width - 1)).mean().item<double>();
        double sigma2 = Math.Sqrt((1 - p) * (1 - p) * (1 - (1 - p) * (1 - p)) / (rows * (width - 1)));
        Assert.InRange(both, (1 - p) * (1 - p) - 6 * sigma2, (1 - p) * (1 - p) + 6 * sigma2);
        // The same seed repeats the draw; another seed does not; p = 0 keeps everything.
        Assert.True(DropoutMask.Draw(rows, width, p, 42UL).equal(DropoutMask.Draw(rows, width, p, 42UL)).all().item<bool>());
        Assert.False(DropoutMask.Draw(rows, width, p, 42UL).equal(DropoutMask.Draw(rows, width, p, 43UL)).all().item<bool>());
        Assert.True(DropoutMask.UnpackRows(DropoutMask.Draw(3, 11, 0.0, 7UL), 11).all().item<bool>());
        // Rows are slices of one row-major stream: a 1×(2·width) draw is the 2×width draw's rows side by side
        // (exercises the vector body and the scalar tail, width 13 = 8 + 5).
        var wide = DropoutMask.UnpackRows(DropoutMask.Draw(1, 26, p, 9UL), 26).view(2, 13);
        Assert.True(wide.equal(DropoutMask.UnpackRows(DropoutMask.Draw(2, 13, p, 9UL), 13)).all().item<bool>());
    }

    /// <summary>Packs each row of a 0/1 (rows, width) tensor on its own, LSB first: (rows, ⌈width/8⌉) uint8.</summary>
    private static Tensor PackRows(Tensor keep)
    {
        using var scope = NewDisposeScope();
        long rows = keep.shape[0], width = keep.shape[1], pad = (8 - width % 8) % 8;
        var k = keep.to_type(ScalarType.Byte); // (rows, width)
        if (pad > 0) k = cat(new[] { k, zeros(rows, pad, dtype: ScalarType.Byte) }, 1); // (rows, width + pad)
        var bits = tensor(new byte[] { 1, 2, 4, 8, 16, 32, 64, 128 }, ScalarType.Byte); // (8)
        return k.view(rows, -1, 8).mul(bits).sum(2, type: ScalarType.Byte).MoveToOuterDisposeScope(); // (rows, ⌈width/8⌉)
    }
}
