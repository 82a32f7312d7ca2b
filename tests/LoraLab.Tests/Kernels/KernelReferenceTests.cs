using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// Each fused CPU kernel against its device-generic reference (plain TorchSharp operations, libtorch's autograd):
/// same values, same gradients, same dropout masks. The class reseeds the global generator, so it runs serially.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class KernelReferenceTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 0.3, 0L)]
    [InlineData(ScalarType.Float32, 0.05, 17L)] // a row block that starts inside the masked input
    [InlineData(ScalarType.BFloat16, 0.5, 3L)]
    public void DropoutReferenceGivesTheFusedMaskAndValues(ScalarType dtype, double p, long firstRow)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var x = randn(23, 45).to_type(dtype); // (rows, width): vector steps and a scalar tail
        const ulong key = 0xFEDCBA9876543210UL;
        var fused = empty(23, 45);
        DropoutMask.Apply(x.to_type(ScalarType.Float32), fused, firstRow, p, key);
        var reference = DropoutMask.Reference(x, firstRow, p, key);
        Assert.Equal(dtype, reference.dtype);
        Assert.True(reference.to_type(ScalarType.Float32).equal(fused.to_type(dtype).to_type(ScalarType.Float32)).all().item<bool>());
    }

    /// <summary>
    /// The mask other devices use (drawn by libtorch's Bernoulli sampler from a generator seeded with the key), exercised
    /// here on the CPU's generator: one key gives one mask, another key another, and the share kept is 1 − p within five
    /// standard deviations of a Binomial(60 000, 1 − p).
    /// </summary>
    [Fact]
    public void DrawnDropoutMaskIsAFunctionOfItsKeyAndKeepsOneMinusP()
    {
        using var scope = NewDisposeScope();
        var x = ones(200, 300);
        const double p = 0.3;
        var first = DropoutMask.DrawnKeep(x, 0, p, 42);
        Assert.Equal(ScalarType.Bool, first.dtype);
        Assert.True(first.equal(DropoutMask.DrawnKeep(x, 0, p, 42)).all().item<bool>());
        Assert.False(first.equal(DropoutMask.DrawnKeep(x, 0, p, 43)).all().item<bool>());
        double kept = first.to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(kept, 0.7 - 5 * Math.Sqrt(0.7 * 0.3 / 60000), 0.7 + 5 * Math.Sqrt(0.7 * 0.3 / 60000));
        Assert.Throws<ArgumentException>(() => DropoutMask.DrawnKeep(x, 5, p, 42)); // drawn whole, never by row block
    }

    [Theory]
    [InlineData(ScalarType.Float32, 0.1)]
    [InlineData(ScalarType.BFloat16, 0.3)]
    public void RowsSplitOverTheThreadTeamGiveTheMaskOfTheWhole(ScalarType dtype, double p)
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        const long rows = 700, width = 97; // 68 K entries: several chunks of 16 Ki
        Assert.True(rows / OmpTeam.RowGrain(width) >= 2);
        var x = randn(rows, width).to_type(dtype);
        const ulong key = 0x5555AAAA12345678UL;
        var fused = empty(rows, width, dtype: dtype);
        var bits = empty(rows, DropoutMask.RowBytes(width), dtype: ScalarType.Byte);
        DropoutMask.Apply(x, fused, 2, p, key, bits);
        var reference = DropoutMask.Reference(x, 2, p, key); // dropped entries may be −0 there
        Assert.True(reference.to_type(ScalarType.Float32).equal(fused.to_type(ScalarType.Float32)).all().item<bool>());
        var replayed = empty(rows, width, dtype: dtype);
        DropoutMask.Replay(x, replayed, bits, p);
        Assert.True(SameBits(replayed, fused));
    }

    [Theory]
    [InlineData(0.3, 45L)] // five 8-wide steps and a 5-entry tail
    [InlineData(0.05, 344L)] // the demo's down_proj width
    public void Bfloat16RowsAreMaskedAsAFloat32PassAndACastWouldBe(double p, long width)
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        // bf16 inputs whose float32 products with 1/(1 − p) land on, beside and between bfloat16 values
        using Scalar three = 3.ToScalar();
        var x = randn(23, width).mul(three).to_type(ScalarType.BFloat16);
        x[0, 0] = tensor(0f).to_type(ScalarType.BFloat16); // a zero
        const ulong key = 0x0123456789ABCDEFUL;
        var viaFloat = empty(23, width);
        var floatBits = empty(23, DropoutMask.RowBytes(width), dtype: ScalarType.Byte);
        DropoutMask.Apply(x.to_type(ScalarType.Float32), viaFloat, 4, p, key, floatBits);
        var expected = viaFloat.to_type(ScalarType.BFloat16); // libtorch's cast: nearest even
        var direct = empty(23, width, dtype: ScalarType.BFloat16);
        var bits = empty(23, DropoutMask.RowBytes(width), dtype: ScalarType.Byte);
        DropoutMask.Apply(x, direct, 4, p, key, bits);
        Assert.True(SameBits(direct, expected));
        Assert.True(bits.equal(floatBits).all().item<bool>());
        var unrecorded = empty(23, width, dtype: ScalarType.BFloat16);
        DropoutMask.Apply(x, unrecorded, 4, p, key);
        Assert.True(SameBits(unrecorded, expected));
        var replayed = empty(23, width, dtype: ScalarType.BFloat16);
        DropoutMask.Replay(x, replayed, bits, p);
        Assert.True(SameBits(replayed, expected));
        // mixed dtypes are refused
        Assert.Throws<ArgumentException>(() => DropoutMask.Apply(x, empty(23, width), 0, p, key));
    }

    private static bool SameBits(Tensor a, Tensor b) => a.dtype == b.dtype && a.bytes.SequenceEqual(b.bytes);

    [Fact]
    public void LoraLinearUnderBfloat16AutocastIsTheSameOnEitherPath()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        const int width = 200, rank = 16; // the libtorch path by row blocks (r·in above the row pass's limit)
        var inputs = new[] { randn(2, 5, width), randn(4, width), randn(rank, width), randn(4, rank) }; // x (B, T, in), W, A, B
        var gy = randn(2, 5, 4).to_type(ScalarType.BFloat16);
        (Tensor Y, Tensor[] Grads) Run(bool reference)
        {
            var leaves = inputs.Select(t => t.detach().requires_grad_(true)).ToArray();
            manual_seed(99); // the same dropout key on both paths
            using var choice = KernelSwitch.UseReference(reference);
            using var autocast = Autocast.Enter(ScalarType.BFloat16);
            var y = LoraLinearKernel.Forward(leaves[0], leaves[1], leaves[2], leaves[3], 1.5, 0.3);
            y.backward(new[] { gy });
            return (y.detach().to_type(ScalarType.Float32), leaves.Select(l => l.grad!).ToArray());
        }
        var (yFused, gFused) = Run(false);
        var (yRef, gRef) = Run(true);
        // bfloat16 keeps 8 bits: the two paths sum in other orders (by row blocks, by operation), so compare relative errors
        static double Relative(Tensor a, Tensor b) =>
            (a.to_type(ScalarType.Float32) - b.to_type(ScalarType.Float32)).norm().item<float>() / b.to_type(ScalarType.Float32).norm().item<float>();
        Assert.InRange(Relative(yFused, yRef), 0, 1e-2);
        for (int i = 0; i < 4; i++) Assert.InRange(Relative(gFused[i], gRef[i]), 0, 1e-2);
    }

    [Theory]
    [InlineData(0.0, 6, 3)] // scalar tails only
    [InlineData(0.3, 6, 3)]
    [InlineData(0.3, 37, 16)] // the row pass's vector steps and tail, at its largest rank
    [InlineData(0.0, 37, 16)]
    [InlineData(0.3, 20, 17)] // above the row pass's rank: libtorch's skinny GEMMs
    [InlineData(0.3, 200, 16)] // above the row pass's work per row (r·in): libtorch's GEMMs, by row blocks
    [InlineData(0.3, 37, 16, 600)] // the row pass split over the thread team
    [InlineData(0.0, 37, 16, 600)]
    [InlineData(0.3, 200, 16, 700)] // masks split over the team, and more than one row block
    public void LoraLinearFusedEqualsReference(double p, int width, int rank, int tokens = 5)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var inputs = new[] { randn(2, tokens, width), randn(4, width), randn(rank, width), randn(4, rank) }; // x (B, T, in), W, A, B
        var gy = randn(2, tokens, 4);
        (Tensor Y, Tensor[] Grads) Run(bool reference)
        {
            var leaves = inputs.Select(t => t.detach().requires_grad_(true)).ToArray();
            manual_seed(99); // the same dropout key on both paths
            using var choice = KernelSwitch.UseReference(reference);
            var y = LoraLinearKernel.Forward(leaves[0], leaves[1], leaves[2], leaves[3], 1.5, p);
            y.backward(new[] { gy });
            return (y.detach(), leaves.Select(l => l.grad!).ToArray());
        }
        var (yFused, gFused) = Run(false);
        var (yRef, gRef) = Run(true);
        // float rounding of sums over up to 1400 rows, taken in another order: entries near zero are held to the scale of the whole
        static bool Close(Tensor a, Tensor b, double rtol) => a.allclose(b, rtol: rtol, atol: 1e-5 + 4e-6 * b.abs().max().item<float>());
        Assert.True(Close(yFused, yRef, 1e-5), $"y differs by up to {(yFused - yRef).abs().max().item<float>()}");
        for (int i = 0; i < 4; i++)
            Assert.True(Close(gFused[i], gRef[i], 1e-4), $"gradient {i} differs by up to {(gFused[i] - gRef[i]).abs().max().item<float>()}");
    }

    [Fact]
    public void LinearCrossEntropyFusedEqualsReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using Scalar half = 0.5.ToScalar();
        var h0 = randn(37, 8);
        var w0 = randn(50, 8).mul(half);
        var labels = randint(0, 50, new long[] { 37 });
        labels[4] = tensor(-100L);
        (Tensor Loss, Tensor Gh, Tensor Gw) Run(bool reference)
        {
            var h = h0.clone().requires_grad_(true);
            var w = w0.clone().requires_grad_(true);
            using var choice = KernelSwitch.UseReference(reference);
            var loss = LinearCrossEntropy.Sum(h, w, labels, chunkTokens: 6);
            loss.mul(half).backward();
            return (loss.detach(), h.grad!, w.grad!);
        }
        var fused = Run(false);
        var reference = Run(true);
        Assert.Equal(reference.Loss.item<float>(), fused.Loss.item<float>(), 3);
        Assert.True(fused.Gh.allclose(reference.Gh, rtol: 1e-4, atol: 1e-6), "∂L/∂h differs");
        Assert.True(fused.Gw.allclose(reference.Gw, rtol: 1e-4, atol: 1e-6), "∂L/∂W differs");
    }

    [Fact]
    public void ALoraTrainingStepWithDropoutIsTheSameOnEitherPath()
    {
        // The whole model: every LoRA projection (dropout on) and the loss, fused vs reference, from one seed.
        using var scope = NewDisposeScope();
        var config = TinyLlama.Config();
        manual_seed(1);
        using var model = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(4, LoraTargets.All, dropout: 0.2));
        using (no_grad()) foreach (var (name, p) in model.named_parameters()) if (name.Contains("lora_B")) p.normal_(0, 0.1);
        model.train();
        var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        (double Loss, Dictionary<string, Tensor> Grads) Step(bool reference)
        {
            model.zero_grad();
            manual_seed(42);
            using var choice = KernelSwitch.UseReference(reference);
            var loss = LinearCrossEntropy.Sum(model.Model.Forward(ids), model.OutputWeight, ids);
            loss.backward();
            var grads = model.named_parameters().Where(np => np.parameter.grad is not null)
                .ToDictionary(np => np.name, np => np.parameter.grad!.clone());
            return (loss.item<float>(), grads);
        }
        var fused = Step(false);
        var reference = Step(true);
        Assert.Equal(reference.Loss, fused.Loss, 4);
        Assert.Equal(reference.Grads.Keys.Order(), fused.Grads.Keys.Order());
        Assert.NotEmpty(fused.Grads);
        foreach (var (name, g) in fused.Grads)
            Assert.True(g.allclose(reference.Grads[name], rtol: 1e-3, atol: 1e-6), $"{name}: gradient differs");
    }
}
