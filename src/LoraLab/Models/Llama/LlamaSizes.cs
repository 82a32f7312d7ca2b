using System.Globalization;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// Sizes a config implies, computed in floating point (no overflow) before anything is allocated, so that a hostile
/// or mistyped config.json (num_hidden_layers 1e9, vocab_size 2^31−1) is refused in one line instead of exhausting memory.
/// </summary>
public static class LlamaSizes
{
    /// <summary>
    /// Parameters of the plain model: embeddings, per layer four attention and three MLP projections and two norms,
    /// the final norm, lm_head unless tied.
    /// </summary>
    public static double ParameterCount(LlamaConfig c)
    {
        double hidden = c.HiddenSize;
        double perLayer = 2 * hidden; // the two norms, then the seven projections (shapes from LlamaProjections)
        foreach (string projection in LlamaProjections.All)
        {
            var (fanIn, fanOut) = LlamaProjections.Shape(projection, c);
            perLayer += (double)fanIn * fanOut;
        }
        double embeddings = (double)c.VocabSize * hidden * (c.TieWordEmbeddings ? 1 : 2);
        return embeddings + c.NumHiddenLayers * perLayer + hidden;
    }

    /// <summary>
    /// Refuses a config whose parameters alone, in <paramref name="dtype"/>, exceed <paramref name="availableBytes"/>
    /// (default: the memory this process may use, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes), naming the field
    /// that contributes most.
    /// </summary>
    public static void CheckFitsInMemory(LlamaConfig c, ScalarType dtype, string source, long? availableBytes = null)
    {
        double bytes = ParameterCount(c) * ElementSize(dtype);
        long limit = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes <= limit) return;
        var (field, value) = DominantField(c);
        throw new LoraLabException(string.Create(CultureInfo.InvariantCulture,
            $"{source}: '{field}' {value} makes the model {ParameterCount(c):G3} parameters ({bytes / 1e9:G3} GB as {dtype}), "
            + $"more than the {limit / 1e9:G3} GB of memory available; check the value (a real model this size needs a smaller dtype or more memory)."));
    }

    /// <summary>The size field whose reduction to 1 would shrink the parameter count most: the one to blame.</summary>
    public static (string Field, int Value) DominantField(LlamaConfig c)
    {
        var candidates = new (string Field, int Value, LlamaConfig Shrunk)[]
        {
            ("num_hidden_layers", c.NumHiddenLayers, c with { NumHiddenLayers = 1 }),
            ("vocab_size", c.VocabSize, c with { VocabSize = 1 }),
            ("hidden_size", c.HiddenSize, c with { HiddenSize = 1 }),
            ("intermediate_size", c.IntermediateSize, c with { IntermediateSize = 1 }),
            ("num_attention_heads", c.NumAttentionHeads, c with { NumAttentionHeads = 1 }),
            ("num_key_value_heads", c.NumKeyValueHeads, c with { NumKeyValueHeads = 1 }),
            ("head_dim", c.HeadDim, c with { HeadDim = 1 }),
        };
        var best = candidates.MaxBy(x => ParameterCount(c) - ParameterCount(x.Shrunk));
        return (best.Field, best.Value);
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 8,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => 4,
    };
}
