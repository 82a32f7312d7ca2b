using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

public class LlamaInitTests
{
    [Fact]
    public void WeightsAreNormalWithTheConfiguredStdAndNormsAreOnes()
    {
        var config = new LlamaConfig
        {
            HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 32,
            VocabSize = 500, MaxPositionEmbeddings = 64, TieWordEmbeddings = false, InitializerRange = 0.05, PadTokenId = 3,
        };
        using var model = new LlamaForCausalLM(config);
        using var generator = new Generator(7);
        LlamaInit.Apply(model, generator);
        using var scope = NewDisposeScope();
        int checkedWeights = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            var w = p.detach().to_type(ScalarType.Float64);
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                Assert.True(w.eq(Scalars.One).all().item<bool>(), name);
                continue;
            }
            if (name == "model.embed_tokens.weight")
            {
                Assert.Equal(0.0, w[3].abs().max().item<double>()); // the pad row, as transformers' padding_idx
                w = cat(new[] { w.narrow(0, 0, 3), w.narrow(0, 4, w.shape[0] - 4) });
            }
            long n = w.numel();
            double mean = w.mean().item<double>(), std = w.std().item<double>();
            // 5-sigma bounds: the sample mean has sd σ/√n, the sample std about σ/√(2n).
            Assert.True(Math.Abs(mean) < 5 * 0.05 / Math.Sqrt(n), $"{name}: mean {mean}");
            Assert.True(Math.Abs(std / 0.05 - 1) < 5 / Math.Sqrt(2.0 * n), $"{name}: std {std}");
            checkedWeights++;
        }
        Assert.Equal(1 + 2 * 7 + 1, checkedWeights); // embeddings, 7 projections per layer, lm_head
    }

    [Fact]
    public void InitIsReproducibleFromTheGenerator()
    {
        var config = TinyLlama.Config();
        using var a = new LlamaForCausalLM(config);
        using var b = new LlamaForCausalLM(config);
        using (var g = new Generator(11)) LlamaInit.Apply(a, g);
        using (var g = new Generator(11)) LlamaInit.Apply(b, g);
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True(pa.eq(pb).all().item<bool>(), name);
    }

    [Fact]
    public void TheTrainingBenchRandomModelStartsWithinOneNatOfLnVocab()
    {
        // bench/LoraLab.Bench's 15M shape (llama2.c stories15M: dim 288, 6 layers, 6 heads, ffn 768, vocab 32000).
        var config = new LlamaConfig
        {
            HiddenSize = 288, IntermediateSize = 768, NumHiddenLayers = 6, NumAttentionHeads = 6, NumKeyValueHeads = 6, HeadDim = 48,
            VocabSize = 32000, MaxPositionEmbeddings = 256, TieWordEmbeddings = true, RmsNormEps = 1e-5,
        };
        using var model = new LlamaForCausalLM(config);
        using var generator = new Generator(1234);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = randint(0, config.VocabSize, new long[] { 2, 65 }, generator: generator); // (B, T+1) random tokens
        double Loss() => CausalLoss.Compute(model.Forward(ids), ids).item<float>();
        double lnV = Math.Log(config.VocabSize);
        double before = Loss(); // TorchSharp's default init (N(0,1) embeddings, Kaiming-uniform linears)
        LlamaInit.Apply(model, generator);
        double after = Loss();
        Assert.True(Math.Abs(after - lnV) < 1, $"initial loss {after:F3}, ln(vocab) {lnV:F3}");
        Assert.True(before > lnV + 1, $"default-init loss {before:F3} should be far above ln(vocab) (else this test cannot fail)");
    }
}
