using LoraLab.Checkpoints;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

/// <summary>The real stories260K model against the reference values in ../shared/models/stories260K/README.txt.</summary>
public class Stories260KTests
{
    internal static LlamaForCausalLM LoadFromBin()
    {
        var model = Llama2cCheckpoint.LoadModel(SharedFiles.Require(SharedFiles.Stories260KBin));
        model.eval();
        return model;
    }

    [SkippableFact]
    public void BosLogitsMatchReadme()
    {
        using var model = LoadFromBin();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = model.Forward(tensor(new long[] { 1 }, new long[] { 1, 1 }))[0, 0]; // (V)
        var (values, indices) = logits.topk(5);
        Assert.Equal(new long[] { 403, 385, 410, 317, 407 }, indices.data<long>().ToArray());
        var expected = new[] { 17.0235, 15.4062, 13.1083, 12.7692, 12.4181 };
        var got = values.data<float>().ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], got[i], 3);
        Assert.Equal(-1070.1722, logits.sum().item<float>(), 2);
    }

    [SkippableFact]
    public void GreedyIdsMatchReadme()
    {
        using var model = LoadFromBin();
        var result = new LlamaGenerator(model).Generate(new[] { new[] { 1 } }, new GenerationOptions { MaxNewTokens = 20 })[0];
        Assert.Equal(new[] { 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337 }, result.NewIds);
    }

    [SkippableFact]
    public void CachedDecodingEqualsFullForward()
    {
        using var model = LoadFromBin();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = new long[] { 1, 403, 407, 261, 378, 432, 383, 286 };
        var full = model.Forward(tensor(ids, new long[] { 1, ids.Length }))[0]; // (T, V)
        using var cache = new KvCache(model.Config, 1, 16, ScalarType.Float32);
        var prefill = model.Forward(tensor(ids[..5], new long[] { 1, 5 }), cache: cache)[0]; // (5, V)
        Assert.True(prefill.allclose(full.narrow(0, 0, 5), rtol: 0, atol: 1e-5));
        for (int t = 5; t < ids.Length; t++)
        {
            var step = model.Forward(tensor(new[] { ids[t] }, new long[] { 1, 1 }), cache: cache)[0, 0]; // (V)
            Assert.True(step.allclose(full[t], rtol: 0, atol: 1e-5), $"position {t}");
        }
    }

    [SkippableFact]
    public void BatchOfDifferentLengthsGivesSameTokensAsOneAtATime()
    {
        using var model = LoadFromBin();
        var gen = new LlamaGenerator(model);
        var prompts = new[] { new[] { 1 }, new[] { 1, 403, 407, 261, 378, 432 }, new[] { 1, 385, 410 } };
        var options = new GenerationOptions { MaxNewTokens = 30 };
        var batched = gen.Generate(prompts, options);
        for (int i = 0; i < prompts.Length; i++)
        {
            var single = gen.Generate(new[] { prompts[i] }, options)[0];
            Assert.Equal(single.NewIds, batched[i].NewIds);
        }
    }
}
