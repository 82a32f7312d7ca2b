using LoraLab.Kernels;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The fused causal attention node against libtorch's scaled_dot_product_attention evaluated in float64 (the outside
/// reference): output and q, k, v gradients, float32 and bfloat16, with grouped-query heads, sequence lengths that do
/// not fill the last block, and the layout the model passes (q, k, v transposed views of (B, T, H, D) projections).
/// float32 must match to float32 rounding; bfloat16 must be no further from float64 than libtorch's own bfloat16 attention
/// is (it rounds probabilities to bfloat16 before the value product; the node does not). The class reseeds the global
/// generator, so it runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class CausalAttentionTests
{
    private sealed record Result(Tensor O, Tensor Dq, Tensor Dk, Tensor Dv)
    {
        public Tensor[] All => new[] { O, Dq, Dk, Dv };
    }

    private static Result Run(Tensor q, Tensor k, Tensor v, Tensor g, bool reference)
    {
        using var choice = KernelSwitch.UseReference(reference);
        var (ql, kl, vl) = (q.detach().requires_grad_(true), k.detach().requires_grad_(true), v.detach().requires_grad_(true));
        var o = CausalAttention.Forward(ql, kl, vl);
        o.backward(new[] { g });
        return new(o.detach(), ql.grad!, kl.grad!, vl.grad!);
    }

    // q, k, v and an output gradient, (B, heads, T, D) views of (B, T, heads, D) memory.
    private static (Tensor Q, Tensor K, Tensor V, Tensor G) Inputs(ScalarType dtype, long b, long h, long kvHeads, long t, long d)
    {
        Tensor Heads(long n, double scale)
        {
            using Scalar s = scale.ToScalar();
            return randn(b, t, n, d).mul(s).transpose(1, 2).to_type(dtype);
        }
        return (Heads(h, 1.5), Heads(kvHeads, 1.5), Heads(kvHeads, 1), Heads(h, 1));
    }

    private static double MaxError(Tensor a, Tensor exact) => (a.to_type(ScalarType.Float64) - exact).abs().max().item<double>();

    [Theory]
    [InlineData(ScalarType.Float32, 1, 1, 1, 1, 16)] // a single position: the softmax of one score
    [InlineData(ScalarType.Float32, 2, 4, 2, 70, 32)] // grouped heads (2 query heads per key/value head); 70 = a block and 6 rows
    [InlineData(ScalarType.Float32, 1, 3, 1, 130, 16)] // three query heads on one key/value head; rows not a multiple of 4
    [InlineData(ScalarType.Float32, 2, 2, 2, 200, 64)] // the medium model's head dim, blocks 0..3 with a partial last
    [InlineData(ScalarType.Float32, 1, 2, 1, 104, 48)] // tiles 32 wide then 16: head dim 48, a last key block of 40 (padded to 48)
    [InlineData(ScalarType.BFloat16, 1, 2, 1, 104, 48)]
    [InlineData(ScalarType.BFloat16, 2, 4, 2, 70, 32)]
    [InlineData(ScalarType.BFloat16, 2, 2, 2, 200, 64)]
    public void FusedMatchesFloat64ScaledDotProductAttention(ScalarType dtype, long b, long h, long kvHeads, long t, long d)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var (q, k, v, g) = Inputs(dtype, b, h, kvHeads, t, d);
        Tensor F64(Tensor x) => x.to_type(ScalarType.Float64);
        var exact = Run(F64(q), F64(k), F64(v), F64(g), reference: true);
        var fused = Run(q, k, v, g, reference: false);
        var torchOwn = Run(q, k, v, g, reference: true);
        string[] names = { "output", "dq", "dk", "dv" };
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(exact.All[i].shape, fused.All[i].shape);
            Assert.Equal(dtype, fused.All[i].dtype);
            double scale = exact.All[i].abs().max().item<double>();
            double error = MaxError(fused.All[i], exact.All[i]);
            if (dtype == ScalarType.Float32) Assert.True(error <= 2e-6 * Math.Max(1, scale), $"{names[i]}: max error {error:E2} (scale {scale:F2})");
            else
            {
                double own = MaxError(torchOwn.All[i], exact.All[i]);
                Assert.True(error <= Math.Max(own, 8e-3 * scale), $"{names[i]}: max error {error:E2}, libtorch's bfloat16 {own:E2}");
            }
        }
    }

    [Fact]
    public void UntrackedForwardGivesTheTrackedValuesBitForBit()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var (q, k, v, _) = Inputs(ScalarType.Float32, 2, 4, 2, 90, 32);
        var tracked = CausalAttention.Forward(q.detach().requires_grad_(true), k, v).detach();
        Tensor untracked;
        using (no_grad()) untracked = CausalAttention.Forward(q, k, v);
        Assert.True(tracked.contiguous().bytes.SequenceEqual(untracked.contiguous().bytes));
    }

    [Fact]
    public void OutputIsATransposedViewOfTokenMajorMemory()
    {
        using var scope = NewDisposeScope();
        var (q, k, v, _) = Inputs(ScalarType.Float32, 2, 4, 4, 8, 16);
        var o = CausalAttention.Forward(q, k, v); // (B, H, T, D) over (B, T, H, D): the reshape to (B, T, H·D) is a view
        Assert.Equal(new long[] { 2, 4, 8, 16 }, o.shape);
        Assert.True(o.transpose(1, 2).is_contiguous());
    }

    [Theory]
    [InlineData(8)] // stories260K's head dim: not a multiple of 16
    [InlineData(24)]
    public void HeadDimsThatAreNotMultiplesOf16GoToTheReference(long d)
    {
        using var scope = NewDisposeScope();
        var (q, k, v, _) = Inputs(ScalarType.Float32, 1, 2, 2, 5, d);
        Assert.False(CausalAttentionFunction.Serves(q, k, v));
        Tensor reference;
        using (KernelSwitch.UseReference()) reference = CausalAttention.Forward(q, k, v);
        Assert.True(reference.contiguous().bytes.SequenceEqual(CausalAttention.Forward(q, k, v).contiguous().bytes));
    }
}
