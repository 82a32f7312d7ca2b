using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Peft;

public class LoraLinearTests
{
    private static LoraLinear Make(int r, double? alpha = null, bool rs = false, double dropout = 0)
    {
        var layer = new LoraLinear(3, 2, new LoraConfig(r, new[] { "q_proj" }, alpha, dropout, rs), ScalarType.Float32);
        using var _ = no_grad();
        // W (2×3), A (r×3), B (2×r) set by hand.
        layer.Weight.copy_(tensor(new float[] { 1, 0, 2, 0, 1, -1 }).reshape(2, 3));
        layer.LoraA.copy_(tensor(Enumerable.Range(0, r * 3).Select(i => (float)(i % 3 == 0 ? 1 : 0)).ToArray()).reshape(r, 3));
        using Scalar half = 0.5f.ToScalar();
        layer.LoraB.copy_(full(2, r, half));
        return layer;
    }

    [Fact]
    public void ForwardIsBasePlusScaledLowRankUpdate()
    {
        // r = 1, α = 2 (default 2r): s = 2. x = (1, 2, 3): W x = (1 + 6, 2 − 3) = (7, −1);
        // A x = 1 (A = [1, 0, 0]); B A x = (0.5, 0.5); y = (7 + 1, −1 + 1) = (8, 0).
        using var layer = Make(1);
        layer.eval();
        using var y = layer.call(tensor(new float[] { 1, 2, 3 }).reshape(1, 3));
        Assert.Equal(new float[] { 8, 0 }, y.data<float>().ToArray());
        Assert.Equal(2.0, layer.Scaling);
    }

    [Fact]
    public void ScalingIsAlphaOverRankOrOverSqrtRankWithRsLora()
    {
        Assert.Equal(32.0 / 16, new LoraConfig(16, new[] { "all" }, alpha: 32).Scaling);
        Assert.Equal(32.0 / 4, new LoraConfig(16, new[] { "all" }, alpha: 32, useRslora: true).Scaling);
        Assert.Equal(2.0, new LoraConfig(64, new[] { "all" }).Scaling); // study default α = 2r
    }

    [Fact]
    public void MergeGivesTheSameOutputsAndUnmergeRestoresTheBaseWeight()
    {
        using var layer = Make(2);
        layer.eval();
        using var x = randn(4, 3);
        using var before = layer.call(x);
        using var w0 = layer.Weight.clone();
        layer.Merge();
        using var merged = layer.call(x);
        Assert.True(merged.allclose(before, rtol: 0, atol: 1e-5));
        // W + s·B·A by hand: s = 2, B·A = 0.5 at column 0 for both rows ×2 ranks = 1.0 → +2 in column 0.
        Assert.Equal(new float[] { 3, 0, 2, 2, 1, -1 }, layer.Weight.data<float>().ToArray());
        layer.Unmerge();
        Assert.True(layer.Weight.allclose(w0, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void DropoutTouchesOnlyTheLoraBranch()
    {
        using var layer = Make(1, dropout: 0.9);
        using (no_grad()) layer.LoraB.zero_();
        layer.train();
        using var x = tensor(new float[] { 1, 2, 3 }).reshape(1, 3);
        using var y = layer.call(x);
        Assert.Equal(new float[] { 7, -1 }, y.data<float>().ToArray()); // W x exactly: the base input is never dropped
    }

    [Fact]
    public void InitialisationMatchesPeft()
    {
        using var layer = new LoraLinear(64, 32, new LoraConfig(8, new[] { "q_proj" }), ScalarType.Float32);
        // kaiming_uniform(a = √5) on fan_in 64: bound = sqrt(6 / ((1 + 5) · 64)) = 1/8.
        var a = layer.LoraA.data<float>().ToArray();
        Assert.All(a, v => Assert.InRange(v, -0.125f, 0.125f));
        Assert.True(a.Select(Math.Abs).Max() > 0.1f);
        Assert.All(layer.LoraB.data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.False(layer.Weight.requires_grad);
    }

    [Fact]
    public void ModelKeysFollowHuggingFaceAndOnlyAdaptersTrain()
    {
        var lora = new LoraConfig(4, new[] { "attention", "down_proj" });
        using var model = LoraModel.Create(TinyLlama.Config(), ScalarType.Float32, lora);
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", keys);
        Assert.Contains("model.layers.0.self_attn.q_proj.lora_A.weight", keys);
        Assert.Contains("model.layers.1.mlp.down_proj.lora_B.weight", keys);
        Assert.DoesNotContain("model.layers.0.mlp.up_proj.lora_A.weight", keys);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(2 * 5 * 2, trainable.Count); // 2 layers × 5 modules × (A, B)
        Assert.All(trainable, n => Assert.True(LoraModules.IsLoraParameter(n), n));
        Assert.Equal(10, LoraModules.Find(model).Count);
    }

    [Fact]
    public void UnknownTargetModuleIsRefused()
    {
        var e = Assert.Throws<LoraLabException>(() => new LoraConfig(4, new[] { "qproj" }));
        Assert.Contains("qproj", e.Message);
    }
}
