using LoraLab.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>The decoder stack: embed_tokens → layers → norm. Field names are the Hugging Face keys under "model.".</summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // names follow the Hugging Face state-dict keys
    internal readonly Embedding embed_tokens;
    internal readonly ModuleList<LlamaDecoderLayer> layers;
    internal readonly LlamaRMSNorm norm;
#pragma warning restore IDE1006
    private Tensor invFreq; // (D/2) float32 on the model's device, not a parameter

    public LlamaModel(LlamaConfig config, ScalarType dtype, ProjectionFactory? projections = null) : base(nameof(LlamaModel))
    {
        Config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, dtype: dtype);
        layers = new ModuleList<LlamaDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, dtype, projections)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, dtype);
        RegisterComponents();
        var inv = RotaryEmbedding.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        invFreq = tensor(inv.Select(d => (float)d).ToArray()).DetachFromDisposeScope();
    }

    public LlamaConfig Config { get; }

    public Embedding EmbedTokens => embed_tokens;

    public IReadOnlyList<LlamaDecoderLayer> Layers => layers.ToList();

    /// <summary>
    /// Activation checkpointing per decoder layer (<c>activation_checkpointing: true</c>): in training with gradients,
    /// each layer keeps only its input and recomputes its forward in backward (<see cref="ActivationCheckpoint"/>).
    /// </summary>
    public bool ActivationCheckpointing { get; set; }

    /// <summary>
    /// The dtype linears compute in (<c>amp_bf16</c>: bfloat16 over float32 weights; see <see cref="Autocast"/>), or null
    /// for the weights' own dtype.
    /// </summary>
    public ScalarType? AutocastDType { get; set; }

    /// <summary>
    /// Runs the stack. <paramref name="inputIds"/> (B, T) int64. <paramref name="attentionMask"/> (B, S) with S = cached + T,
    /// 1 for real tokens and 0 for (left) padding, or null when nothing is padded. Returns final hidden states (B, T, C).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null, Tensor? positionIds = null)
    {
        using var scope = NewDisposeScope();
        using var amp = AutocastDType is null ? null : Autocast.Enter(AutocastDType);
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long offset = cache?.Length ?? 0;
        var device = inputIds.device;
        if (attentionMask is not null && attentionMask.shape[1] != offset + t)
            throw new ArgumentException($"attention mask covers {attentionMask.shape[1]} positions, expected {offset + t} (cached + new).");
        positionIds ??= attentionMask is null
            ? Scalars.Arange(offset, offset + t, device).unsqueeze(0).expand(b, t) // (B, T)
            : attentionMask.to_type(ScalarType.Int64).cumsum(-1).sub(Scalars.One).clamp_min(Scalars.Zero).narrow(1, offset, t); // (B, T)
        var (cos, sin) = RotaryEmbedding.CosSin(positionIds, InverseFrequencies(device));
        Tensor? mask = (attentionMask is null && offset == 0) ? null : BuildMask(attentionMask, b, t, offset, device);
        var x = embed_tokens.call(inputIds); // (B, T, C)
        bool checkpoint = ActivationCheckpointing && training && cache is null && is_grad_enabled();
        if (checkpoint && device.type != DeviceType.CPU && (Config.AttentionDropout > 0 || Config.ResidualDropout > 0))
            throw new LoraLabException("activation_checkpointing replays dropout from libtorch's CPU generator only: " +
                "on a GPU, set attention and residual dropout to 0 or turn checkpointing off.");
        var keep = mask is null ? new[] { cos, sin } : new[] { cos, sin, mask };
        foreach (var layer in layers)
        {
            x = checkpoint
                ? ActivationCheckpoint.Apply((xi, k) => layer.Forward(xi, k[0], k[1], k.Count > 2 ? k[2] : null, null, 0), x, keep, layer.parameters().ToList())
                : layer.Forward(x, cos, sin, mask, cache, offset);
        }
        if (cache is not null) cache.Length = offset + t;
        return norm.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>The rotary inverse frequencies on <paramref name="device"/> (moved there once, when the model moves).</summary>
    private Tensor InverseFrequencies(Device device)
    {
        if (invFreq.device == device) return invFreq;
        var moved = invFreq.to(device).DetachFromDisposeScope();
        invFreq.Dispose();
        invFreq = moved;
        return invFreq;
    }

    /// <summary>Boolean (B, 1, T, S) mask: query i (at absolute index offset+i) may see key j ≤ offset+i that is not padding; always itself.</summary>
    private static Tensor BuildMask(Tensor? attentionMask, long b, long t, long offset, Device device)
    {
        long s = offset + t;
        var q = Scalars.Arange(offset, s, device).unsqueeze(1); // (T, 1)
        var k = Scalars.Arange(0, s, device).unsqueeze(0); // (1, S)
        var causal = k.le(q); // (T, S)
        if (attentionMask is null) return causal.unsqueeze(0).unsqueeze(0); // (1, 1, T, S)
        var keep = attentionMask.to_type(ScalarType.Bool).unsqueeze(1); // (B, 1, S)
        var allowed = causal.unsqueeze(0).logical_and(keep).logical_or(k.eq(q).unsqueeze(0)); // (B, T, S)
        return allowed.unsqueeze(1); // (B, 1, T, S)
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) invFreq.Dispose();
        base.Dispose(disposing);
    }
}
