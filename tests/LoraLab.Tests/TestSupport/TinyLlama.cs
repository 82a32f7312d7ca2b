using LoraLab.Models.Llama;

namespace LoraLab.Tests.TestSupport;

/// <summary>The tiny Llama shape the unit tests build models from (2 layers, GQA 4/2 heads, vocab 40).</summary>
internal static class TinyLlama
{
    public static LlamaConfig Config(int kvHeads = 2, bool tie = true) => new()
    {
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads,
        HeadDim = 8,
        RmsNormEps = 1e-5,
        MaxPositionEmbeddings = 64,
        VocabSize = 40,
        TieWordEmbeddings = tie,
    };
}
