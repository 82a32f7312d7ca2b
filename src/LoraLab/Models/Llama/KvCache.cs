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

    public KvCache(LlamaConfig config, long batchSize, long maxLength, ScalarType dtype, Device? device = null)
        : this(config.NumHiddenLayers, batchSize, config.NumKeyValueHeads, maxLength, config.HeadDim, dtype, device)
    {
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

    /// <summary>
    /// A new cache of <paramref name="maxLength"/> positions whose row i is a copy of this cache's row rows[i]
    /// (the first <see cref="Length"/> positions), e.g. one shared prompt expanded to several continuations.
    /// </summary>
    public KvCache Gather(IReadOnlyList<long> rows, long maxLength)
    {
        if (maxLength < Length) throw new ArgumentException($"the new cache ({maxLength} positions) cannot hold the {Length} cached ones.");
        var shape = keys[0].shape;
        var copy = new KvCache(keys.Length, rows.Count, shape[1], maxLength, shape[3], keys[0].dtype, keys[0].device) { Length = Length };
        using var scope = NewDisposeScope();
        var index = tensor(rows.ToArray(), ScalarType.Int64, device: keys[0].device); // (B')
        for (int i = 0; i < keys.Length; i++)
        {
            copy.keys[i].narrow(2, 0, Length).copy_(keys[i].narrow(2, 0, Length).index_select(0, index)); // (B', H_kv, L, D)
            copy.values[i].narrow(2, 0, Length).copy_(values[i].narrow(2, 0, Length).index_select(0, index)); // (B', H_kv, L, D)
        }
        return copy;
    }

    private KvCache(int layers, long batchSize, long kvHeads, long maxLength, long headDim, ScalarType dtype, Device? device)
    {
        MaxLength = maxLength;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            keys[i] = zeros(new[] { batchSize, kvHeads, maxLength, headDim }, dtype: dtype, device: device).DetachFromDisposeScope();
            values[i] = zeros(new[] { batchSize, kvHeads, maxLength, headDim }, dtype: dtype, device: device).DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
