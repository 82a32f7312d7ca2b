using LoraLab.Kernels;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The fused SwiGLU node against libtorch's autograd of silu(g) ⊙ u (<see cref="SwiGlu.Reference"/>). The node repeats
/// libtorch's arithmetic (its vectorised exp, silu as g / (1 + e^−g), bfloat16 rounding points), so wherever libtorch runs
/// its vector loop the two agree to the bit. libtorch finishes each chunk whose length is not a multiple of two vectors
/// (32 float32 or 64 bfloat16 entries with AVX-512) with a scalar loop on the C library's exp, which may differ by an ulp:
/// there the float32 results agree within 2 float32 ulps (∂L/∂g within 1e-6 relative, as silu's backward may cancel)
/// and bfloat16 within one bfloat16 ulp. The class reseeds the global generator, so it runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class SwiGluTests
{
    private static (Tensor H, Tensor? GradGate, Tensor? GradUp) Run(bool reference, Tensor g, Tensor u, Tensor dh, bool gateGrad = true, bool upGrad = true)
    {
        using var choice = KernelSwitch.UseReference(reference);
        var (lg, lu) = (g.detach().requires_grad_(gateGrad), u.detach().requires_grad_(upGrad));
        var h = SwiGlu.Forward(lg, lu);
        h.backward(new[] { dh });
        return (h.detach(), lg.grad?.clone(), lu.grad?.clone());
    }

    private static (Tensor G, Tensor U, Tensor Dh) Inputs(ScalarType dtype, params long[] shape)
    {
        using Scalar four = 4.ToScalar();
        return (randn(shape).mul(four).to_type(dtype), randn(shape).to_type(dtype), randn(shape).to_type(dtype));
    }

    private static bool SameBits(Tensor a, Tensor b) => a.dtype == b.dtype && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>The largest distance in ulps between entries of two float32 or bfloat16 tensors (NaN against NaN counts 0).</summary>
    private static long MaxUlps(Tensor a, Tensor b)
    {
        Assert.Equal(a.dtype, b.dtype);
        var (x, y) = (a.contiguous().bytes.ToArray(), b.contiguous().bytes.ToArray());
        bool bf16 = a.dtype == ScalarType.BFloat16;
        int size = bf16 ? 2 : 4;
        long worst = 0;
        for (int i = 0; i < x.Length; i += size)
        {
            int bx = bf16 ? BitConverter.ToUInt16(x, i) << 16 : BitConverter.ToInt32(x, i);
            int by = bf16 ? BitConverter.ToUInt16(y, i) << 16 : BitConverter.ToInt32(y, i);
            float fx = BitConverter.Int32BitsToSingle(bx), fy = BitConverter.Int32BitsToSingle(by);
            if (float.IsNaN(fx) && float.IsNaN(fy)) continue;
            long Ordered(int bits) => (bits < 0 ? int.MinValue - (long)bits : bits) >> (bf16 ? 16 : 0); // monotone in the value
            worst = Math.Max(worst, Math.Abs(Ordered(bx) - Ordered(by)));
        }
        return worst;
    }

    [Theory]
    [InlineData(ScalarType.Float32, 64L, 48L)] // 3072 entries: libtorch's vector loop covers every entry
    [InlineData(ScalarType.Float32, 256L, 256L)] // two libtorch chunks of 32768, split over our team too
    [InlineData(ScalarType.BFloat16, 64L, 48L)]
    [InlineData(ScalarType.BFloat16, 256L, 256L)]
    public void ValuesAndGradientsEqualTheComposedOperationsBitForBit(ScalarType dtype, long rows, long width)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var (g, u, dh) = Inputs(dtype, 2, rows / 2, width);
        var fused = Run(false, g, u, dh);
        var reference = Run(true, g, u, dh);
        Assert.True(SameBits(fused.H, reference.H), $"values differ by up to {MaxUlps(fused.H, reference.H)} ulps");
        Assert.True(SameBits(fused.GradGate!, reference.GradGate!), $"∂L/∂g differs by up to {MaxUlps(fused.GradGate!, reference.GradGate!)} ulps");
        Assert.True(SameBits(fused.GradUp!, reference.GradUp!), $"∂L/∂u differs by up to {MaxUlps(fused.GradUp!, reference.GradUp!)} ulps");
    }

    [Fact]
    public void ExtremeGatesGiveLibtorchsValues()
    {
        // Both ends of the exp's range (underflow to 0 below −104, overflow to ∞ above 88.7 and forced above 100),
        // subnormal results, signed zeros, infinities and NaN: 32 entries, one libtorch vector step.
        using var scope = NewDisposeScope();
        var gates = new float[]
        {
            0f, -0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 87f, -87f, 88.5f, -88.5f, 89f, -89f, 95f, -95f, 100f, -100f,
            100.5f, -100.5f, 103.9f, -103.9f, 104f, -104f, 104.1f, -104.1f, 300f, -300f, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, 0.5f, -1.2785f, 20f,
        };
        using Scalar up = 1.5f.ToScalar(), gradient = (-0.75f).ToScalar();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            var g = tensor(gates).to_type(dtype);
            var u = full(gates.Length, up).to_type(dtype);
            var dh = full(gates.Length, gradient).to_type(dtype);
            var fused = Run(false, g, u, dh);
            var reference = Run(true, g, u, dh);
            Assert.Equal(0, MaxUlps(fused.H, reference.H));
            Assert.Equal(0, MaxUlps(fused.GradGate!, reference.GradGate!));
            Assert.Equal(0, MaxUlps(fused.GradUp!, reference.GradUp!));
        }
        // And a sweep of the whole finite range of the exp, 65,536 gates (two libtorch chunks of whole vector steps).
        var sweep = linspace(-110, 110, 1 << 16);
        var (h, dg, du) = Run(false, sweep, sweep.flip(0), sweep.sin());
        var (hr, dgr, dur) = Run(true, sweep, sweep.flip(0), sweep.sin());
        Assert.True(SameBits(h, hr), $"values differ by up to {MaxUlps(h, hr)} ulps");
        Assert.True(SameBits(dg!, dgr!), $"∂L/∂g differs by up to {MaxUlps(dg!, dgr!)} ulps");
        Assert.True(SameBits(du!, dur!), $"∂L/∂u differs by up to {MaxUlps(du!, dur!)} ulps");
    }

    [Theory]
    [InlineData(ScalarType.Float32, 7L, 45L)] // vector tails on both paths
    [InlineData(ScalarType.Float32, 700L, 97L)] // several team chunks, a partial last step
    [InlineData(ScalarType.BFloat16, 7L, 45L)]
    [InlineData(ScalarType.BFloat16, 700L, 97L)]
    public void OddSizesAgreeWithinUlps(ScalarType dtype, long rows, long width)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var (g, u, dh) = Inputs(dtype, rows, width);
        var fused = Run(false, g, u, dh);
        var reference = Run(true, g, u, dh);
        long valueUlps = dtype == ScalarType.BFloat16 ? 1 : 2;
        Assert.InRange(MaxUlps(fused.H, reference.H), 0, valueUlps);
        Assert.InRange(MaxUlps(fused.GradUp!, reference.GradUp!), 0, valueUlps);
        if (dtype == ScalarType.BFloat16) Assert.InRange(MaxUlps(fused.GradGate!, reference.GradGate!), 0, 1);
        else Assert.True(fused.GradGate!.allclose(reference.GradGate!, rtol: 1e-6, atol: 1e-6), "∂L/∂g differs"); // cancels near g = −1.28
        // Even in libtorch's scalar tails the two exps mostly agree (measured: all but 3 of 67,900 float32 values).
        double exact = fused.H.eq(reference.H).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(exact > 0.999, $"only {exact:P2} of the values agree to the bit");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void NoGradForwardGivesTheTrackedValues(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var (g, u, _) = Inputs(dtype, 3, 5, 37);
        var tracked = SwiGlu.Forward(g.detach().requires_grad_(true), u.detach().requires_grad_(true));
        Assert.True(tracked.requires_grad);
        Tensor untracked, frozen;
        using (no_grad()) untracked = SwiGlu.Forward(g.detach().requires_grad_(true), u.detach().requires_grad_(true));
        frozen = SwiGlu.Forward(g, u); // inputs that need no gradient
        Assert.False(untracked.requires_grad);
        Assert.False(frozen.requires_grad);
        Assert.True(SameBits(tracked.detach(), untracked));
        Assert.True(SameBits(tracked.detach(), frozen));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void OnlyTheInputsThatRequireGradGetGradients(bool gateGrad, bool upGrad)
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var (g, u, dh) = Inputs(ScalarType.Float32, 4, 64);
        var fused = Run(false, g, u, dh, gateGrad, upGrad);
        var reference = Run(true, g, u, dh, gateGrad, upGrad);
        Assert.Equal(gateGrad, fused.GradGate is not null);
        Assert.Equal(upGrad, fused.GradUp is not null);
        if (gateGrad) Assert.True(SameBits(fused.GradGate!, reference.GradGate!));
        if (upGrad) Assert.True(SameBits(fused.GradUp!, reference.GradUp!));
    }

    [Fact]
    public void NonContiguousInputsAreCopiedAndTheirGradientsFlowBack()
    {
        using var scope = NewDisposeScope();
        manual_seed(15);
        var (g, u, dh) = Inputs(ScalarType.Float32, 96, 2, 32); // (T, B, I) seen as (B, T, I) through a transpose
        var fusedLeaves = (g.detach().requires_grad_(true), u.detach().requires_grad_(true));
        var referenceLeaves = (g.detach().requires_grad_(true), u.detach().requires_grad_(true));
        var dhView = dh.transpose(0, 1); // (B, T, I)
        var fused = SwiGlu.Forward(fusedLeaves.Item1.transpose(0, 1), fusedLeaves.Item2.transpose(0, 1));
        Tensor reference;
        using (KernelSwitch.UseReference()) reference = SwiGlu.Forward(referenceLeaves.Item1.transpose(0, 1), referenceLeaves.Item2.transpose(0, 1));
        Assert.Equal(new long[] { 2, 96, 32 }, fused.shape);
        fused.backward(new[] { dhView });
        reference.backward(new[] { dhView });
        Assert.True(SameBits(fused.detach(), reference.detach()));
        Assert.True(SameBits(fusedLeaves.Item1.grad!, referenceLeaves.Item1.grad!));
        Assert.True(SameBits(fusedLeaves.Item2.grad!, referenceLeaves.Item2.grad!));
    }

    [Fact]
    public void OtherDtypesAndMixedInputsFallBackToTheReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(16);
        var g = randn(3, 10, dtype: ScalarType.Float64);
        var u = randn(3, 10, dtype: ScalarType.Float64);
        Assert.True(SwiGlu.Forward(g, u).equal(SwiGlu.Reference(g, u)).all().item<bool>());
        var g32 = g.to_type(ScalarType.Float32);
        Assert.Equal(ScalarType.Float64, SwiGlu.Forward(g32, u).dtype); // type promotion, as the composed operations
        var row = randn(1, 10); // broadcast against (3, 10)
        Assert.True(SwiGlu.Forward(g32, row).equal(SwiGlu.Reference(g32, row)).all().item<bool>());
        Assert.Throws<ArgumentException>(() => SwiGluFunction.Compute(g32, row));
    }
}
