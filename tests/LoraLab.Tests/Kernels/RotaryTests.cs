using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The fused rotary node against <see cref="Rotary.Reference"/> (the composed operations under libtorch's autograd):
/// the same values and x gradients bit for bit, float32 and bfloat16, on the layouts the model passes (q and k are
/// transposed views of (B, T, H, D) projections). The class reseeds the global generator, so it runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class RotaryTests
{
    private static bool SameBits(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>cos and sin (tableBatch, T, D) at scattered positions, and x (B, H, T, D): a transposed (B, T, H, D) view or contiguous.</summary>
    private static (Tensor X, Tensor Cos, Tensor Sin) Inputs(ScalarType dtype, long b, long h, long t, long d, bool transposed, long tableBatch)
    {
        var inv = tensor(RotaryEmbedding.InverseFrequencies((int)d, 10000, null).Select(f => (float)f).ToArray());
        var positions = randint(0, 4096, new[] { tableBatch, t }, dtype: ScalarType.Int64); // (B, T)
        var (cos, sin) = RotaryEmbedding.CosSin(positions, inv); // (B, T, D)
        using Scalar three = 3.ToScalar();
        var x = transposed ? randn(b, t, h, d).mul(three).transpose(1, 2) : randn(b, h, t, d).mul(three); // (B, H, T, D)
        x = x.to_type(dtype);
        x[.., .., 0] = tensor(0f).to_type(dtype); // zero rows: signed-zero products and sums in every lane
        return (x, cos, sin);
    }

    private static (Tensor Y, Tensor Grad) Run(Tensor x, Tensor cos, Tensor sin, Tensor gy, bool reference)
    {
        using var choice = KernelSwitch.UseReference(reference);
        var leaf = x.detach().requires_grad_(true);
        var y = Rotary.Forward(leaf, cos, sin);
        y.backward(new[] { gy });
        return (y.detach(), leaf.grad!);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 2, 3, 5, 64, true)] // the model's layout: vector steps only
    [InlineData(ScalarType.BFloat16, 2, 3, 5, 64, true)]
    [InlineData(ScalarType.Float32, 1, 2, 3, 22, false)] // half 11: one vector step and a 3-entry tail
    [InlineData(ScalarType.BFloat16, 1, 2, 3, 22, true)]
    [InlineData(ScalarType.BFloat16, 2, 2, 3, 6, false)] // half 3: scalar tail only
    [InlineData(ScalarType.Float32, 4, 12, 40, 64, true)] // 1920 rows: several chunks over the thread team
    [InlineData(ScalarType.BFloat16, 3, 4, 70, 32, true)]
    public void FusedGivesTheReferenceValuesAndGradientsBitForBit(ScalarType dtype, long b, long h, long t, long d, bool transposed)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var (x, cos, sin) = Inputs(dtype, b, h, t, d, transposed, b);
        var gy = randn(b, t, h, d).transpose(1, 2).to_type(dtype); // (B, H, T, D), SDPA-like layout
        gy[.., .., 1] = tensor(0f).to_type(dtype); // zero rows: −0 sums that autograd turns into +0
        var (yRef, gRef) = Run(x, cos, sin, gy, reference: true);
        var (y, g) = Run(x, cos, sin, gy, reference: false);
        Assert.True(SameBits(y, yRef), "values differ");
        Assert.True(SameBits(g, gRef), "x gradients differ");
        Assert.Equal(x.stride(), y.stride()); // the output keeps x's layout, as the composed operations do
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void NonUnitStrideGradientsAndSharedTablesGiveTheReference(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var (x, cos, sin) = Inputs(dtype, 2, 3, 9, 20, transposed: true, tableBatch: 1); // tables (1, T, D) shared by the batch
        var gy = randn(2, 3, 20, 9).transpose(2, 3).to_type(dtype); // (B, H, T, D) with stride 9 in D
        var (yRef, gRef) = Run(x, cos, sin, gy, reference: true);
        var (y, g) = Run(x, cos, sin, gy, reference: false);
        Assert.True(SameBits(y, yRef));
        Assert.True(SameBits(g, gRef));
        // the expanded gradient of a sum
        var grads = new Tensor[2];
        foreach (bool reference in new[] { true, false })
        {
            using var choice = KernelSwitch.UseReference(reference);
            var leaf = x.detach().requires_grad_(true);
            Rotary.Forward(leaf, cos, sin).sum().backward();
            grads[reference ? 0 : 1] = leaf.grad!;
        }
        Assert.True(SameBits(grads[1], grads[0]));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void UntrackedAndNoGradForwardsGiveTheTrackedValues(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var (x, cos, sin) = Inputs(dtype, 2, 4, 6, 16, transposed: true, tableBatch: 2);
        var tracked = Rotary.Forward(x.detach().requires_grad_(true), cos, sin);
        Assert.True(tracked.requires_grad);
        var frozen = Rotary.Forward(x, cos, sin); // an input that needs no gradient
        Assert.False(frozen.requires_grad);
        Tensor noGrad;
        using (no_grad()) noGrad = Rotary.Forward(x.detach().requires_grad_(true), cos, sin);
        Assert.False(noGrad.requires_grad);
        Tensor reference;
        using (KernelSwitch.UseReference()) reference = Rotary.Forward(x, cos, sin);
        Assert.True(SameBits(frozen, tracked.detach()));
        Assert.True(SameBits(noGrad, tracked.detach()));
        Assert.True(SameBits(reference, tracked.detach()));
        Assert.Equal(x.stride(), noGrad.stride());
    }

    [Fact]
    public void UnservedInputsFallBackToTheReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var (x, cos, sin) = Inputs(ScalarType.Float32, 1, 2, 4, 8, transposed: false, tableBatch: 1);
        // float64 x, a non-contiguous table, and tables that need a gradient: the composed operations run
        var x64 = x.to_type(ScalarType.Float64);
        Assert.False(RotaryFunction.Serves(x64, cos, sin));
        Assert.True(SameBits(Rotary.Forward(x64, cos, sin), Rotary.Reference(x64, cos, sin)));
        var strided = cat(new[] { cos, cos }, -1).narrow(-1, 0, 8); // (1, T, D) with stride 16 in T
        Assert.False(RotaryFunction.Serves(x, strided, sin));
        Assert.True(SameBits(Rotary.Forward(x, strided, sin), Rotary.Reference(x, strided, sin)));
        var learned = cos.detach().requires_grad_(true);
        var y = Rotary.Forward(x, learned, sin);
        y.sum().backward();
        Assert.NotNull(learned.grad);
        // x with a strided last dimension is not served either
        Assert.False(RotaryFunction.Serves(randn(1, 2, 8, 4).transpose(2, 3), cos, sin));
    }
}
