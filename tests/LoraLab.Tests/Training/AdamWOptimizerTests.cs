using LoraLab.Training;
using static LoraLab.Tests.Training.DecoupledLionWTests;

namespace LoraLab.Tests.Training;

public class AdamWOptimizerTests
{
    [Fact]
    public void TwoStepsMatchHandComputation()
    {
        var p = Param(1f, -1f, 0.5f);
        using var opt = new AdamWOptimizer([p], lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0);

        // Step 1: m = 0.1·g, v = 0.001·g²; m/(1−0.9) = g, sqrt(v/(1−0.999)) = |g| → each element moves by exactly lr·sign(g).
        SetGrad(p, 2f, -0.5f, 0.001f);
        opt.Step();
        AssertValues([0.9, -0.9, 0.4], p);

        // Step 2, g = [1, 0.5, 0.001]:
        //   m = 0.9·[0.2, −0.05, 1e-4] + 0.1·g = [0.28, 0.005, 1.9e-4];  bc1 = 1 − 0.9² = 0.19
        //   v = 0.999·[0.004, 2.5e-4, 1e-9] + 0.001·g² = [0.004996, 4.9975e-4, 1.999e-9];  bc2 = 1 − 0.999² = 0.001999
        //   step = 0.1 · (m/0.19) / sqrt(v/0.001999) = 0.1 · [1.4736842/1.5809015, 0.0263158/0.5, 0.001/0.001]
        //        = [0.0932180, 0.0052632, 0.1]
        SetGrad(p, 1f, 0.5f, 0.001f);
        opt.Step();
        AssertValues([0.8067820, -0.9052632, 0.3], p, 2e-6);
    }

    [Fact]
    public void PyTorchWeightDecayIsLrTimesWd()
    {
        var p = Param(2f);
        using var opt = new AdamWOptimizer([p], lr: 0.1, eps: 0, weightDecay: 0.5);
        // p = 2·(1 − 0.1·0.5) − 0.1·sign(1) = 1.8
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([1.8], p);
    }

    [Fact]
    public void DecoupledWeightDecayIsLrOverInitialLrTimesWd()
    {
        var p = Param(2f);
        using var opt = new AdamWOptimizer([p], lr: 0.1, eps: 0, weightDecay: 0.5, decayMode: AdamWDecayMode.Decoupled);
        // Step 1: p = 2·(1 − 1·0.5) − 0.1 = 0.9.
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([0.9], p);
        // Step 2 at lr 0.05: p = 0.9·(1 − 0.5·0.5) = 0.675; m = 0.19, bc1 = 0.19; v = 0.001999 = bc2 → step 0.05; p = 0.625.
        opt.Lr = 0.05;
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([0.625], p);
    }

    [Fact]
    public void EpsEntersTheDenominator()
    {
        var p = Param(0f);
        using var opt = new AdamWOptimizer([p], lr: 1, eps: 1, weightDecay: 0);
        // Step 1, g = 1: m̂ = 1, sqrt(v̂) = 1 → step = 1/(1 + 1) = 0.5.
        SetGrad(p, 1f);
        opt.Step();
        AssertValues([-0.5], p);
    }

    [Fact]
    public void SaveAndLoadStateKeepsPerParameterStep()
    {
        var p1 = Param(1f);
        var p2 = Param(1f);
        using var a = new AdamWOptimizer([p1], lr: 0.1, eps: 0, weightDecay: 0);
        using var b = new AdamWOptimizer([p2], lr: 0.1, eps: 0, weightDecay: 0);
        SetGrad(p1, 1f);
        a.Step();
        using (var state = a.SaveState())
        {
            Assert.Equal(["0.exp_avg", "0.exp_avg_sq", "0.step"], state.Tensors.Keys.Order());
            using (TorchSharp.torch.no_grad()) p2.copy_(p1);
            b.LoadState(state);
        }
        // Step 2 with g = 1 again: m̂ = 1, v̂ = 1 → p = 0.9 − 0.1 = 0.8 (only with step = 2 restored; a fresh
        // optimizer would also give 0.8 here, so use g = 3: m = 0.09 + 0.3 = 0.39, m̂ = 2.0526316;
        // v = 0.000999 + 0.009 = 0.009999, v̂ = 5.0020010, sqrt = 2.2365154; step = 0.1·0.9177811 = 0.0917781).
        SetGrad(p1, 3f);
        SetGrad(p2, 3f);
        a.Step();
        b.Step();
        AssertValues([0.9 - 0.0917781], p2);
        Assert.Equal(p1.data<float>().ToArray(), p2.data<float>().ToArray());
    }
}
