using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

public class LlamaSizesTests
{
    [Fact]
    public void ParameterCountMatchesTheBuiltModel()
    {
        foreach (bool tie in new[] { true, false })
        {
            var config = TinyLlama.Config(kvHeads: 2, tie: tie);
            using var model = new LlamaForCausalLM(config);
            Assert.Equal(model.parameters().Sum(p => p.numel()), (long)LlamaSizes.ParameterCount(config));
        }
    }

    [Fact]
    public void AModelBeyondMemoryIsRefusedBeforeAllocationNamingTheField()
    {
        // No weights to compare with (a from-scratch model): the bound is the memory this process may use.
        var config = TinyLlama.Config() with { VocabSize = int.MaxValue };
        var e = Assert.Throws<LoraLabException>(() => new LlamaForCausalLM(config));
        Assert.Contains("'vocab_size' 2147483647", e.Message);
        Assert.Contains("more than the", e.Message);
        var layers = TinyLlama.Config() with { NumHiddenLayers = 1_000_000_000 };
        Assert.Contains("'num_hidden_layers'", Assert.Throws<LoraLabException>(() => new LlamaForCausalLM(layers)).Message);
    }

    [Fact]
    public void TheMemoryBoundIsTheParameterBytes()
    {
        var config = TinyLlama.Config();
        long bytes = (long)LlamaSizes.ParameterCount(config) * 4;
        LlamaSizes.CheckFitsInMemory(config, ScalarType.Float32, "config", availableBytes: bytes);
        Assert.Throws<LoraLabException>(() => LlamaSizes.CheckFitsInMemory(config, ScalarType.Float32, "config", availableBytes: bytes - 1));
        LlamaSizes.CheckFitsInMemory(config, ScalarType.BFloat16, "config", availableBytes: bytes / 2);
    }
}
