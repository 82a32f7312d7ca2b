using LoraLab.Models.Llama;

namespace LoraLab.Bench;

/// <summary>Model shapes the benchmarks build with random weights.</summary>
public static class Shapes
{
    /// <summary>llama2.c's stories15M: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000, seq_len 256, tied classifier.</summary>
    public static readonly LlamaConfig Stories15M = new()
    {
        HiddenSize = 288, IntermediateSize = 768, NumHiddenLayers = 6, NumAttentionHeads = 6, NumKeyValueHeads = 6,
        HeadDim = 48, VocabSize = 32000, MaxPositionEmbeddings = 256, TieWordEmbeddings = true, RmsNormEps = 1e-5,
    };
}
