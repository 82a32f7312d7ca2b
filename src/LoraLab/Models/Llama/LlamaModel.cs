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
    private readonly Tensor invFreq; // (D/2) float32, not a parameter

    public LlamaModel(LlamaConfig config, ScalarType dtype, ProjectionFactory? projections = null) : base(nameof(LlamaModel))
    {
        Config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, dtype: dtype);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, dtype, projections)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, dtype);
        RegisterComponents();
        var inv = RotaryEmbedding.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        invFreq = tensor(inv.Select(d => (float)d).ToArray()).DetachFromDisposeScope();
    }

    public LlamaConfig Config { get; }

    public Embedding EmbedTokens => embed_tokens;

    public IReadOnlyList<LlamaDecoderLayer> Layers => layers.ToList();

    /// <summary>
    /// Runs the stack. <paramref name="inputIds"/> (B, T) int64. <paramref name="attentionMask"/> (B, S) with S = cached + T,
    /// 1 for real tokens and 0 for (left) padding, or null when nothing is padded. Returns final hidden states (B, T, C).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null, Tensor? positionIds = null)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long offset = cache?.Length ?? 0;
        if (attentionMask is not null && attentionMask.shape[1] != offset + t)
            throw new ArgumentException($"attention mask covers {attentionMask.shape[1]} positions, expected {offset + t} (cached + new).");
        positionIds ??= attentionMask is null
            ? arange(offset, offset + t, dtype: ScalarType.Int64).unsqueeze(0).expand(b, t) // (B, T)
            : (attentionMask.to_type(ScalarType.Int64).cumsum(-1) - 1).clamp_min(0).narrow(1, offset, t); // (B, T)
        var (cos, sin) = RotaryEmbedding.CosSin(positionIds, invFreq);
        Tensor? mask = (attentionMask is null && offset == 0) ? null : BuildMask(attentionMask, b, t, offset);
        var x = embed_tokens.call(inputIds); // (B, T, C)
        foreach (var layer in layers) x = layer.Forward(x, cos, sin, mask, cache, offset);
        if (cache is not null) cache.Length = offset + t;
        return norm.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>Boolean (B, 1, T, S) mask: query i (at absolute index offset+i) may see key j ≤ offset+i that is not padding; always itself.</summary>
    private static Tensor BuildMask(Tensor? attentionMask, long b, long t, long offset)
    {
        long s = offset + t;
        var q = arange(offset, s, dtype: ScalarType.Int64).unsqueeze(1); // (T, 1)
        var k = arange(0, s, dtype: ScalarType.Int64).unsqueeze(0); // (1, S)
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
