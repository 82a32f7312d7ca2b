using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// A Llama causal language model with Hugging Face's parameter names ("model.layers.0.self_attn.q_proj.weight", …),
/// so <see cref="nn.Module.state_dict()"/> keys are the checkpoint keys. With tied embeddings there is no lm_head:
/// logits use model.embed_tokens.weight.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    /// <summary>Label value that the loss ignores (prompt tokens, padding), as in PyTorch and Hugging Face.</summary>
    public const long IgnoreIndex = -100;

#pragma warning disable IDE1006 // names follow the Hugging Face state-dict keys
    internal readonly LlamaModel model;
    internal readonly Linear? lm_head;
#pragma warning restore IDE1006

    /// <param name="projections">Builds the seven projections of every block (default: plain linears).</param>
    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype = ScalarType.Float32, ProjectionFactory? projections = null)
        : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        LlamaSizes.CheckFitsInMemory(config, dtype, "config"); // before the first allocation
        Config = config;
        DType = dtype;
        model = new LlamaModel(config, dtype, projections);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, dtype: dtype);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }

    public ScalarType DType { get; }

    public LlamaModel Model => model;

    /// <summary>The device the weights are on (inputs are moved there by the callers that make them).</summary>
    public Device Device => model.embed_tokens.weight!.device;

    /// <summary>The output projection's weight (V, C): lm_head.weight, or the embedding when tied.</summary>
    public Tensor OutputWeight => lm_head?.weight ?? model.embed_tokens.weight!;

    /// <summary>Logits (B, T, V) in float32 for <paramref name="inputIds"/> (B, T); see <see cref="LlamaModel.Forward"/>.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null, Tensor? positionIds = null)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, attentionMask, cache, positionIds); // (B, T, C)
        var logits = lm_head is null ? nn.functional.linear(h, model.embed_tokens.weight!) : lm_head.call(h); // (B, T, V)
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Logits of the last position only: (B, V). Saves the (B, T, V) projection during prefill.</summary>
    public Tensor ForwardLast(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, attentionMask, cache); // (B, T, C)
        var last = h.select(1, h.shape[1] - 1); // (B, C)
        var logits = lm_head is null ? nn.functional.linear(last, model.embed_tokens.weight!) : lm_head.call(last); // (B, V)
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
