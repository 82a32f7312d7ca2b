using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The fused RMSNorm node against libtorch's autograd of the composed operations (<see cref="RmsNorm.Reference"/>, Hugging
/// Face's LlamaRMSNorm written in TorchSharp): values and both gradients, at widths with and without a vector tail and
/// with enough rows to split over the thread team.
/// </summary>
public class RmsNormTests
{
    private const double Eps = 1e-5;

    // Runs f on fresh leaves of x and w, backpropagates gy; returns y and the leaves' gradients (null where none).
    private static (Tensor Y, Tensor? Gx, Tensor? Gw) Run(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor w, Tensor gy, bool xGrad, bool wGrad)
    {
        var xl = x.detach().requires_grad_(xGrad);
        var wl = w.detach().requires_grad_(wGrad);
        var y = f(xl, wl);
        if (xGrad || wGrad) y.backward(new[] { gy });
        return (y.detach(), xl.grad?.clone(), wl.grad?.clone());
    }

    [Theory]
    [InlineData(3, 37, true, true)] // a vector tail after 32 and after 8
    [InlineData(600, 768, true, true)] // the medium shape's width; rows split over the team
    [InlineData(600, 768, true, false)] // LoRA: the norm's weight is frozen
    [InlineData(64, 40, false, true)] // the first layer's norm under full finetuning: the embedding output needs no gradient
    public void ValuesAndGradientsEqualAutogradOfTheComposedOperations(int rows, int width, bool xGrad, bool wGrad)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using Scalar three = 3.ToScalar(), fifth = 0.2.ToScalar();
        var x = randn(rows, 2, width).mul(three); // (N/2, 2, C): a leading shape of more than one dimension
        var w = randn(width).mul(fifth).add(Scalars.One, Scalars.One); // 1 + 0.2·randn
        var gy = randn(rows, 2, width);
        var (yRef, gxRef, gwRef) = Run((a, b) => RmsNorm.Reference(a, b, Eps), x, w, gy, xGrad, wGrad);
        var (y, gx, gw) = Run((a, b) => RmsNorm.Forward(a, b, Eps), x, w, gy, xGrad, wGrad);

        Assert.True(y.allclose(yRef, rtol: 1e-5, atol: 1e-6), $"values differ by {(y - yRef).abs().max().item<float>()}");
        Assert.Equal(xGrad, gx is not null);
        Assert.Equal(wGrad, gw is not null);
        if (xGrad) Assert.True(gx!.allclose(gxRef!, rtol: 1e-4, atol: 1e-5), $"∂L/∂x differs by {(gx - gxRef!).abs().max().item<float>()}");
        if (wGrad) Assert.True(gw!.allclose(gwRef!, rtol: 1e-4, atol: 1e-4), $"∂L/∂w differs by {(gw - gwRef!).abs().max().item<float>()}");
    }

    [Fact]
    public void TheComparisonsAboveRunTheFusedNode()
    {
        // Float32 on the CPU, reference not selected: the facade takes the node (else the tests above compare the
        // reference with itself).
        using var scope = NewDisposeScope();
        var x = randn(4, 9);
        var w = randn(9);
        Assert.True(KernelSwitch.Fused(x) && RmsNormFunction.Serves(x, w));
        Assert.False(RmsNormFunction.Serves(x.to_type(ScalarType.BFloat16), w.to_type(ScalarType.BFloat16)));
        using (KernelSwitch.UseReference()) Assert.False(KernelSwitch.Fused(x));
    }

    [Fact]
    public void ANoGradForwardGivesTheTrackedValuesBitForBit()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var x = randn(300, 130).requires_grad_(true);
        var w = randn(130);
        var tracked = RmsNorm.Forward(x, w, Eps).detach();
        using var noGrad = no_grad();
        Assert.True(RmsNorm.Forward(x, w, Eps).equal(tracked).all().item<bool>());
    }

    [Fact]
    public void NonContiguousInputIsNormalisedRowByRow()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var x = randn(24, 10).t(); // (10, 24), not contiguous
        var w = randn(24);
        Assert.True(RmsNorm.Forward(x, w, Eps).allclose(RmsNorm.Reference(x, w, Eps), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Bfloat16InputRunsTheReference()
    {
        // bf16 training normalises in float32 and rounds before the bf16 weight multiplies: the composed operations.
        using var scope = NewDisposeScope();
        manual_seed(8);
        var x = randn(5, 16).to_type(ScalarType.BFloat16);
        var w = randn(16).to_type(ScalarType.BFloat16);
        var y = RmsNorm.Forward(x, w, Eps);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.True(y.equal(RmsNorm.Reference(x, w, Eps)).all().item<bool>());
    }

    [Fact]
    public void AClosedFormRow()
    {
        // x = (3, 4): mean(x²) = 12.5, so y = w ⊙ x / √(12.5 + ε).
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 3, 4 }).view(1, 2);
        var w = tensor(new float[] { 2, -1 });
        var y = RmsNorm.Forward(x, w, Eps);
        double rms = Math.Sqrt(12.5 + Eps);
        Assert.Equal(2 * 3 / rms, y[0, 0].item<float>(), 6);
        Assert.Equal(-4 / rms, y[0, 1].item<float>(), 6);
    }
}
