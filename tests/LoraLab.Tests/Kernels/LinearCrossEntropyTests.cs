using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>The chunked linear + cross-entropy node against libtorch's linear → cross_entropy(sum) and its autograd.</summary>
public class LinearCrossEntropyTests
{
    private static (Tensor H, Tensor W, Tensor Labels) Data(long n = 37, long c = 8, long v = 50)
    {
        manual_seed(11);
        using Scalar half = 0.5.ToScalar();
        var h = randn(n, c);
        var w = randn(v, c).mul(half);
        var labels = randint(0, v, new[] { n });
        labels[3] = tensor(-100L); // ignored rows
        labels[20] = tensor(-100L);
        return (h, w, labels);
    }

    [Theory]
    [InlineData(5)] // 37 tokens: seven chunks of 5 and one of 2
    [InlineData(64)] // one chunk
    public void LossAndGradientsEqualLinearThenCrossEntropy(int chunk)
    {
        using var scope = NewDisposeScope();
        var (h0, w0, labels) = Data();
        var hRef = h0.clone().requires_grad_(true);
        var wRef = w0.clone().requires_grad_(true);
        var lossRef = nn.functional.cross_entropy(nn.functional.linear(hRef, wRef), labels, ignore_index: -100, reduction: nn.Reduction.Sum);
        using Scalar quarter = 0.25.ToScalar();
        lossRef.mul(quarter).backward();

        var h = h0.clone().requires_grad_(true);
        var w = w0.clone().requires_grad_(true);
        var loss = LinearCrossEntropy.Sum(h, w, labels, chunk);
        Assert.Equal(lossRef.item<float>(), loss.item<float>(), 3);
        loss.mul(quarter).backward();
        Assert.True(h.grad!.allclose(hRef.grad!, rtol: 1e-4, atol: 1e-6), "∂L/∂h differs");
        Assert.True(w.grad!.allclose(wRef.grad!, rtol: 1e-4, atol: 1e-6), "∂L/∂W differs");
    }

    [Theory]
    [InlineData(5)] // seven chunks of 5 and a last one of 2: the reused bfloat16 buffer only partly filled
    [InlineData(64)] // one chunk
    public void BFloat16WeightsAreNoFurtherFromFloat64ThanLibtorchsOwnBFloat16(int chunk)
    {
        // Reference: linear → cross_entropy in float64 on the same bfloat16 values. libtorch's own bfloat16 path
        // (bfloat16 linear, cross-entropy over the logits widened to float32) sets the error allowed: at most twice its.
        using var scope = NewDisposeScope();
        var (h0, w0, labels) = Data(v: 300);
        (h0, w0) = (h0.to_type(ScalarType.BFloat16), w0.to_type(ScalarType.BFloat16));
        var (lossRef, ghRef, gwRef) = LossAndGradients(h0.to_type(ScalarType.Float64), w0.to_type(ScalarType.Float64), labels,
            (h, w) => nn.functional.cross_entropy(nn.functional.linear(h, w), labels, reduction: nn.Reduction.Sum));
        var (lossTorch, ghTorch, gwTorch) = LossAndGradients(h0, w0, labels,
            (h, w) => nn.functional.cross_entropy(nn.functional.linear(h, w).to_type(ScalarType.Float32), labels, reduction: nn.Reduction.Sum));
        var (loss, gh, gw) = LossAndGradients(h0, w0, labels, (h, w) => LinearCrossEntropy.Sum(h, w, labels, chunk));
        static double Err(Tensor a, Tensor reference) => (a.to_type(ScalarType.Float64) - reference).abs().max().item<double>();
        Assert.True(Err(loss, lossRef) <= 2 * Err(lossTorch, lossRef) + 1e-6, $"loss error {Err(loss, lossRef)} vs libtorch's {Err(lossTorch, lossRef)}");
        Assert.True(Err(gh, ghRef) <= 2 * Err(ghTorch, ghRef) + 1e-6, $"∂L/∂h error {Err(gh, ghRef)} vs libtorch's {Err(ghTorch, ghRef)}");
        Assert.True(Err(gw, gwRef) <= 2 * Err(gwTorch, gwRef) + 1e-6, $"∂L/∂W error {Err(gw, gwRef)} vs libtorch's {Err(gwTorch, gwRef)}");
    }

    private static (Tensor Loss, Tensor GradH, Tensor GradW) LossAndGradients(Tensor h0, Tensor w0, Tensor labels, Func<Tensor, Tensor, Tensor> loss)
    {
        var h = h0.clone().requires_grad_(true);
        var w = w0.clone().requires_grad_(true);
        var value = loss(h, w);
        value.backward();
        return (value.detach(), h.grad!, w.grad!);
    }

    [Fact]
    public void WideLogitsWhoseExpUnderflowsStillMatchAFloat64Reference()
    {
        // Logits with σ ≈ 60 (an untrained tied embedding gives σ ≈ 17): most exp(logit − max) underflow float32, the
        // range where the node floors exp's argument. Reference: linear → cross_entropy and its autograd in float64.
        using var scope = NewDisposeScope();
        var (h0, w0, labels) = Data(n: 40, c: 16, v: 3000);
        using Scalar thirty = 30.ToScalar();
        w0 = w0.mul(thirty);
        var hRef = h0.to_type(ScalarType.Float64).requires_grad_(true);
        var wRef = w0.to_type(ScalarType.Float64).requires_grad_(true);
        var lossRef = nn.functional.cross_entropy(nn.functional.linear(hRef, wRef), labels, reduction: nn.Reduction.Sum);
        lossRef.backward();
        var h = h0.clone().requires_grad_(true);
        var w = w0.clone().requires_grad_(true);
        var loss = LinearCrossEntropy.Sum(h, w, labels, 9);
        loss.backward();
        double expected = lossRef.item<double>();
        Assert.True(Math.Abs(loss.item<float>() - expected) < 1e-5 * expected, $"loss {loss.item<float>()} vs {expected}");
        Assert.True(h.grad!.to_type(ScalarType.Float64).allclose(hRef.grad!, rtol: 1e-4, atol: 1e-4), "∂L/∂h differs");
        Assert.True(w.grad!.to_type(ScalarType.Float64).allclose(wRef.grad!, rtol: 1e-4, atol: 1e-4), "∂L/∂W differs");
    }

    [Fact]
    public void TiedWeightAccumulatesBothUses()
    {
        // The weight feeds the loss and, like a tied embedding, an embedding lookup: its gradient is the sum of both.
        using var scope = NewDisposeScope();
        var (h0, w0, labels) = Data();
        var ids = tensor(new long[] { 1, 4, 4, 9 });
        using Scalar two = 2.ToScalar();
        var wRef = w0.clone().requires_grad_(true);
        var lossRef = nn.functional.cross_entropy(nn.functional.linear(h0, wRef), labels, reduction: nn.Reduction.Sum)
            .add(wRef.index_select(0, ids).pow(two).sum(), Scalars.One);
        lossRef.backward();
        var w = w0.clone().requires_grad_(true);
        var loss = LinearCrossEntropy.Sum(h0, w, labels, 7).add(w.index_select(0, ids).pow(two).sum(), Scalars.One);
        loss.backward();
        Assert.True(w.grad!.allclose(wRef.grad!, rtol: 1e-4, atol: 1e-5));
        // A second backward (gradient accumulation) adds onto the existing .grad.
        LinearCrossEntropy.Sum(h0, w, labels, 7).backward();
        Assert.True(w.grad!.allclose(wRef.grad!.add(GradOf(h0, w0, labels), Scalars.One), rtol: 1e-4, atol: 1e-5));
    }

    private static Tensor GradOf(Tensor h, Tensor w0, Tensor labels)
    {
        var w = w0.clone().requires_grad_(true);
        nn.functional.cross_entropy(nn.functional.linear(h, w), labels, reduction: nn.Reduction.Sum).backward();
        return w.grad!;
    }

    [Fact]
    public void FrozenWeightGetsNoGradientAndNoGradModeComputesOnlyTheLoss()
    {
        using var scope = NewDisposeScope();
        var (h0, w0, labels) = Data();
        var h = h0.clone().requires_grad_(true);
        LinearCrossEntropy.Sum(h, w0, labels, 8).backward();
        Assert.NotNull(h.grad);
        Assert.Null(w0.grad);
        using (no_grad())
        {
            var l = LinearCrossEntropy.Sum(h0, w0, labels, 8);
            Assert.False(l.requires_grad);
            var reference = nn.functional.cross_entropy(nn.functional.linear(h0, w0), labels, reduction: nn.Reduction.Sum);
            Assert.Equal(reference.item<float>(), l.item<float>(), 3);
        }
    }

    [Fact]
    public void AllLabelsIgnoredGivesZero()
    {
        using var scope = NewDisposeScope();
        var (h, w, _) = Data();
        using Scalar ignored = (-100L).ToScalar();
        var labels = full(new long[] { h.shape[0] }, ignored, ScalarType.Int64);
        Assert.Equal(0f, LinearCrossEntropy.Sum(h, w, labels).item<float>());
    }

    [Theory]
    [InlineData(50L)] // one past the last class
    [InlineData(-3L)] // negative, and not the ignore index
    public void ALabelOutsideTheVocabularyIsRefusedNotRead(long label)
    {
        using var scope = NewDisposeScope();
        var (h, w, labels) = Data();
        labels[30] = tensor(label);
        var e = Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Sum(h, w, labels, 5));
        Assert.Contains($"label {label}", e.Message);
        Assert.Contains("outside the vocabulary [0, 50)", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 7L)] // one NaN logit per row, in a 16-lane step
    [InlineData(ScalarType.Float32, 49L)] // in the one-at-a-time tail (50 classes)
    [InlineData(ScalarType.BFloat16, 7L)]
    [InlineData(ScalarType.BFloat16, 49L)]
    public void ANaNLogitGivesANaNLoss(ScalarType dtype, long nanClass)
    {
        // The trainer stops on a NaN loss, so the loss must keep a NaN logit: a max or a floor that skipped NaN would lose it.
        using var scope = NewDisposeScope();
        var (h, w, labels) = Data();
        w[nanClass, 3] = tensor(float.NaN); // class nanClass's logit is NaN in every row
        Assert.True(float.IsNaN(LinearCrossEntropy.Sum(h.to_type(dtype), w.to_type(dtype), labels, 5).item<float>()));
    }
}
