using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// A preallocated key/value cache for generation: per layer, keys and values of shape (B, H_kv, maxLen, D).
/// New entries are copied into place; nothing is concatenated per step.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;

    public KvCache(LlamaConfig config, long batchSize, long maxLength, ScalarType dtype)
    {
        MaxLength = maxLength;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = zeros(new[] { batchSize, config.NumKeyValueHeads, maxLength, config.HeadDim }, dtype: dtype).DetachFromDisposeScope();
            values[i] = zeros(new[] { batchSize, config.NumKeyValueHeads, maxLength, config.HeadDim }, dtype: dtype).DetachFromDisposeScope();
        }
    }

    public long MaxLength { get; }

    /// <summary>Number of positions filled so far (the same for every layer once a forward completes).</summary>
    public long Length { get; internal set; }

    /// <summary>Writes k, v (B, H_kv, T, D) at [offset, offset+T) of layer <paramref name="layer"/>; returns views of [0, offset+T).</summary>
    internal (Tensor K, Tensor V) Update(int layer, Tensor k, Tensor v, long offset)
    {
        long t = k.shape[2];
        if (offset + t > MaxLength)
            throw new LoraLabException($"KV cache is full: {offset + t} positions needed, {MaxLength} allocated. Raise the generation length limit.");
        keys[layer].narrow(2, offset, t).copy_(k);
        values[layer].narrow(2, offset, t).copy_(v);
        return (keys[layer].narrow(2, 0, offset + t), values[layer].narrow(2, 0, offset + t));
    }

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
