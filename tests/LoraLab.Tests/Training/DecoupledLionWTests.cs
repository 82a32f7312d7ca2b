using LoraLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

public class DecoupledLionWTests
{
    internal static Parameter Param(params float[] values) => new(tensor(values), requires_grad: true);

    internal static void SetGrad(Parameter p, params float[] g) => p.grad = tensor(g);

    internal static void AssertValues(double[] expected, Tensor actual, double tol = 1e-6)
    {
        var got = actual.detach().to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) <= tol, $"element {i}: expected {expected[i]}, got {got[i]}");
    }

    [Fact]
    public void ThreeStepsMatchHandComputation()
    {
        var p = Param(1.0f, -2.0f, 0.5f);
        using var opt = new DecoupledLionW([p], lr: 0.1, beta1: 0.9, beta2: 0.99);

        // Step 1: m = 0, update = sign(0.1·g) = [1, -1, 0] (sign(0) = 0: the third element stays);
        // p = [0.9, -1.9, 0.5]; m = 0.01·g = [0.005, -0.0025, 0].
        SetGrad(p, 0.5f, -0.25f, 0f);
        opt.Step();
        AssertValues([0.9, -1.9, 0.5], p);

        // Step 2, g = [-0.01, 0.1, 0.2]: 0.9·m + 0.1·g = [0.0035, 0.00775, 0.02] → sign [1, 1, 1];
        // p = [0.8, -2.0, 0.4]; m = 0.99·m + 0.01·g = [0.00485, -0.001475, 0.002].
        SetGrad(p, -0.01f, 0.1f, 0.2f);
        opt.Step();
        AssertValues([0.8, -2.0, 0.4], p);

        // Step 3, g = [-0.1, 0, 0]: 0.9·m + 0.1·g = [-0.005635, -0.0013275, 0.0018] → sign [-1, -1, 1]
        // (elements 2 and 3 move on momentum alone); p = p − 0.1·sign = [0.9, -1.9, 0.3].
        SetGrad(p, -0.1f, 0f, 0f);
        opt.Step();
        AssertValues([0.9, -1.9, 0.3], p);
        Assert.Equal(3, opt.StepCount);
        opt.ZeroGrad();
        Assert.Null(p.grad);
    }

    [Fact]
    public void DecoupledWeightDecayFollowsLrOverInitialLr()
    {
        var p = Param(2.0f);
        using var opt = new DecoupledLionW([p], lr: 0.1, weightDecay: 0.5);
        // Step 1 at lr = initial_lr: p = 2·(1 − 1·0.5) − 0.1·sign(0.1·1) = 0.9.
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([0.9], p);
        // Step 2 at lr = 0.05 (α = 0.5): p = 0.9·(1 − 0.5·0.5) − 0.05·1 = 0.625.
        opt.Lr = 0.05;
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([0.625], p);
    }

    [Fact]
    public void SkipsParametersWithoutGradient()
    {
        var a = Param(1f);
        var b = Param(3f);
        using var opt = new DecoupledLionW([a, b], lr: 0.5, weightDecay: 0.1);
        SetGrad(a, -2f);
        opt.Step();
        AssertValues([1.4], a); // 1·(1 − 0.1) − 0.5·sign(−2) = 1.4
        AssertValues([3.0], b); // no grad: untouched, not even decayed (as PyTorch)
    }

    [Fact]
    public void SaveAndLoadStateResumesExactly()
    {
        var p1 = Param(1f, 2f);
        var p2 = Param(1f, 2f);
        using var a = new DecoupledLionW([p1], lr: 0.1);
        using var b = new DecoupledLionW([p2], lr: 0.1);
        SetGrad(p1, 1f, -1f);
        a.Step();
        a.Lr = 0.07;
        using (var state = a.SaveState())
        {
            Assert.Equal(["0.exp_avg"], state.Tensors.Keys);
            using (no_grad()) p2.copy_(p1);
            b.LoadState(state);
        }
        Assert.Equal(0.07, b.Lr);
        Assert.Equal(1, b.StepCount);
        // p = [0.9, 2.1], m = [0.01, −0.01]. g = [−0.05, 0.05]: 0.9·m + 0.1·g = [0.009 − 0.005, −0.009 + 0.005] → sign [1, −1]
        // (a fresh m = 0 would give sign [−1, 1]): p = [0.9 − 0.07, 2.1 + 0.07].
        SetGrad(p1, -0.05f, 0.05f);
        SetGrad(p2, -0.05f, 0.05f);
        a.Step();
        b.Step();
        AssertValues([0.83, 2.17], p2);
        Assert.Equal(p1.data<float>().ToArray(), p2.data<float>().ToArray());
    }

    [Fact]
    public void LoadRejectsMismatchedState()
    {
        var p = Param(1f);
        using var a = new DecoupledLionW([p, Param(2f)]);
        using var b = new DecoupledLionW([p]);
        using var adam = new AdamWOptimizer([p]);
        using var state = a.SaveState();
        Assert.Contains("2 trainable parameters", Assert.Throws<LoraLabException>(() => b.LoadState(state, "ckpt/optim.safetensors")).Message);
        Assert.Contains("decoupled_lionw", Assert.Throws<LoraLabException>(() => adam.LoadState(state, "x")).Message);
    }
}
