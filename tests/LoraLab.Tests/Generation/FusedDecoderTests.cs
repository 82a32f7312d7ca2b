using LoraLab.Generation;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Tests.Generation;

/// <summary>
/// The fused batch-1 decoder against the TorchSharp path (<see cref="KernelSwitch.UseReference"/>) and against the text
/// llama2.c's own greedy run printed for stories260K (../shared/models/stories260K/expected_greedy_t0_n200.txt).
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class FusedDecoderTests
{
    private static readonly int[] Bos = [1];

    [SkippableFact]
    public void Stories260KGreedyGivesTheReferenceTextAndTheTorchPathsTokens()
    {
        using var model = Stories260KTests.LoadFromBin();
        Assert.Null(FusedDecoder.WhyNot(model));
        var tokenizer = TokenizerLoader.LoadFile(SharedFiles.Require(SharedFiles.Tok512Model), model.Config.VocabSize);
        var gen = new LlamaGenerator(model, tokenizer);
        var options = new GenerationOptions { MaxNewTokens = 200, StopAtEos = false };
        var fused = gen.Generate([Bos], options)[0];
        GenerationResult reference;
        using (KernelSwitch.UseReference()) reference = gen.Generate([Bos], options)[0];
        Assert.Equal(reference.NewIds, fused.NewIds);
        string expected = File.ReadAllText(SharedFiles.Require(Path.Combine(SharedFiles.Stories260KDir, "expected_greedy_t0_n200.txt")));
        Assert.Equal(expected, fused.Completion + "\n");
    }

    [SkippableFact]
    public void Stories260KSeededSamplingGivesTheSameTokensOnBothPaths()
    {
        using var model = Stories260KTests.LoadFromBin();
        var gen = new LlamaGenerator(model);
        int[] prompt = [1, 403, 261, 370];
        foreach (var options in new[]
        {
            new GenerationOptions { MaxNewTokens = 120, Temperature = 1.0, Seed = 7, StopAtEos = false },
            new GenerationOptions { MaxNewTokens = 120, Temperature = 0.8, TopK = 40, TopP = 0.9, Seed = 11 },
        })
        {
            var fused = gen.Generate([prompt], options)[0];
            GenerationResult reference;
            using (KernelSwitch.UseReference()) reference = gen.Generate([prompt], options)[0];
            Assert.Equal(reference.NewIds, fused.NewIds);
            Assert.Equal(reference.FinishReason, fused.FinishReason);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LogitsMatchTheTorchForwardOnARandomGqaModelWithLlama3Rope(int threads)
    {
        using var model = RandomGqaModel();
        int[] tokens = [1, 17, 900, 5, 5, 333, 42, 7, 640, 2, 99, 123, 4, 815, 60, 61, 62, 300, 11, 12];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(tokens.Select(t => (long)t).ToArray(), new long[] { 1, tokens.Length }); // (1, T)
        float[] expected;
        using (KernelSwitch.UseReference()) expected = model.Forward(input).contiguous().data<float>().ToArray(); // (1·T·V)
        int vocab = model.Config.VocabSize;
        using var decoder = new FusedDecoder(model, tokens.Length, threads);
        double worst = 0, largest = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            var logits = decoder.Step(tokens[t], t);
            for (int v = 0; v < vocab; v++)
            {
                worst = Math.Max(worst, Math.Abs(logits[v] - expected[t * vocab + v]));
                largest = Math.Max(largest, Math.Abs(expected[t * vocab + v]));
            }
        }
        Assert.True(largest > 1, $"logits should be O(1) for the comparison to mean something, largest {largest}");
        Assert.True(worst < 1e-4, $"max |fused − torch| = {worst:E2}");
    }

    [Fact]
    public void GreedyTokensMatchWithAPromptOnARandomGqaModel()
    {
        using var model = RandomGqaModel();
        var gen = new LlamaGenerator(model);
        int[] prompt = [1, 17, 900, 5, 333];
        var options = new GenerationOptions { MaxNewTokens = 30, StopAtEos = false };
        var fused = gen.Generate([prompt], options)[0].NewIds;
        int[] reference;
        using (KernelSwitch.UseReference()) reference = gen.Generate([prompt], options)[0].NewIds;
        Assert.Equal(reference, fused);
    }

    [Fact]
    public void LoraAutocastAndBf16ModelsTakeTheTorchPath()
    {
        var config = TinyLlama.Config();
        using var lora = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(4, LoraTargets.All));
        Assert.Contains("LoRA", FusedDecoder.WhyNot(lora));
        using var bf16 = new LlamaForCausalLM(config, ScalarType.BFloat16);
        Assert.Contains("BFloat16", FusedDecoder.WhyNot(bf16));
        using var plain = new LlamaForCausalLM(config);
        Assert.Null(FusedDecoder.WhyNot(plain));
        plain.Model.AutocastDType = ScalarType.BFloat16;
        Assert.Equal("autocast is on", FusedDecoder.WhyNot(plain));
        plain.Model.AutocastDType = null;
        using (KernelSwitch.UseReference()) Assert.Equal("LORALAB_KERNELS=reference", FusedDecoder.WhyNot(plain));
        var ids = new LlamaGenerator(lora).Generate([Bos], new GenerationOptions { MaxNewTokens = 5, StopAtEos = false })[0].NewIds;
        Assert.Equal(5, ids.Length);
    }

    /// <summary>
    /// Grouped-query attention (8 heads over 2 kv heads), llama3 RoPE scaling with a short original context so every
    /// band of the rescaling is hit, an intermediate size with a scalar tail, untied classifier, weights ~N(0, 0.1) so
    /// the logits are O(1), and loops big enough to be split over threads.
    /// </summary>
    private static LlamaForCausalLM RandomGqaModel()
    {
        var config = new LlamaConfig
        {
            HiddenSize = 256, IntermediateSize = 340, NumHiddenLayers = 2, NumAttentionHeads = 8, NumKeyValueHeads = 2, HeadDim = 32,
            VocabSize = 1000, MaxPositionEmbeddings = 64, TieWordEmbeddings = false, RmsNormEps = 1e-5, RopeTheta = 500000,
            RopeScaling = new RopeScaling("llama3", 8.0, 1.0, 4.0, 16),
        };
        manual_seed(123);
        var model = new LlamaForCausalLM(config);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight")) p.uniform_(0.5, 1.5);
            else p.normal_(0, 0.1);
        }
        model.eval();
        return model;
    }
}
