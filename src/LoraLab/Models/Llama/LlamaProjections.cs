using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// Builds one bias-free projection of a Llama block by its Hugging Face name (q_proj, …, down_proj). A model builder
/// passes its own factory to swap in another layer type (e.g. a LoRA linear) that keeps the base weight under "weight".
/// </summary>
public delegate nn.Module<Tensor, Tensor> ProjectionFactory(string name, long inFeatures, long outFeatures, ScalarType dtype);

/// <summary>The seven linear projections of a Llama block, by Hugging Face name, and the plain factory.</summary>
public static class LlamaProjections
{
    public static readonly IReadOnlyList<string> Attention = ["q_proj", "k_proj", "v_proj", "o_proj"];

    public static readonly IReadOnlyList<string> Mlp = ["gate_proj", "up_proj", "down_proj"];

    /// <summary>All seven, in canonical order (attention, then MLP).</summary>
    public static readonly IReadOnlyList<string> All = [.. Attention, .. Mlp];

    /// <summary>The sub-module a projection lives in: "self_attn" or "mlp".</summary>
    public static string Parent(string projection) => Attention.Contains(projection) ? "self_attn" : "mlp";

    /// <summary>(in, out) features of <paramref name="projection"/> in a model of config <paramref name="c"/>.</summary>
    public static (long In, long Out) Shape(string projection, LlamaConfig c)
    {
        long hidden = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim;
        return projection switch
        {
            "q_proj" => (hidden, q),
            "k_proj" or "v_proj" => (hidden, kv),
            "o_proj" => (q, hidden),
            "gate_proj" or "up_proj" => (hidden, c.IntermediateSize),
            "down_proj" => (c.IntermediateSize, hidden),
            _ => throw new ArgumentException($"'{projection}' is not a Llama projection", nameof(projection)),
        };
    }

    /// <summary>Builds <paramref name="projection"/> through <paramref name="factory"/> with its shape in config <paramref name="c"/>.</summary>
    public static nn.Module<Tensor, Tensor> Build(ProjectionFactory factory, string projection, LlamaConfig c, ScalarType dtype)
    {
        var (fanIn, fanOut) = Shape(projection, c);
        return factory(projection, fanIn, fanOut, dtype);
    }

    /// <summary>A plain bias-free <c>nn.Linear</c>: the default factory.</summary>
    public static nn.Module<Tensor, Tensor> Plain(string name, long inFeatures, long outFeatures, ScalarType dtype) =>
        nn.Linear(inFeatures, outFeatures, hasBias: false, dtype: dtype);
}
