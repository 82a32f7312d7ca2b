using TorchSharp;

namespace LoraLab.Data;

/// <summary>
/// Yields batches of a <see cref="ITokenSampleSource"/> in a seeded, platform-independent shuffled order
/// (<see cref="SplitMix64.EpochPermutation"/>), dropping the last incomplete batch of each epoch (drop_last, as
/// llm-foundry's train loaders). Rows are right-padded to the longest row of the batch with the pad id, labels -100,
/// and an attention mask is attached when any row is padded. <see cref="Position"/> can be saved and restored so a
/// resumed run sees exactly the same batches.
/// </summary>
public sealed class BatchLoader
{
    private readonly ITokenSampleSource _source;
    private int[]? _order;
    private long _orderEpoch = -1;
    private DataPosition _position;

    public BatchLoader(ITokenSampleSource source, int batchSize, ulong seed, bool shuffle = true, long padId = 0, string name = "data")
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be > 0");
        if (source.Count < batchSize)
            throw new LoraLabException($"{name}: has {source.Count} samples, fewer than one batch of {batchSize}; add data or lower the batch size");
        _source = source;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        PadId = padId;
    }

    public int BatchSize { get; }

    public ulong Seed { get; }

    public bool Shuffle { get; }

    public long PadId { get; }

    /// <summary>Full batches per epoch (samples / batch size, rounded down).</summary>
    public long BatchesPerEpoch => _source.Count / BatchSize;

    /// <summary>The position of the next batch.</summary>
    public DataPosition Position
    {
        get => _position;
        set
        {
            if (value.Epoch < 0 || value.Index < 0 || value.Index > _source.Count)
                throw new LoraLabException($"data position (epoch {value.Epoch}, index {value.Index}) is outside a data set of {_source.Count} " +
                    "samples; resume with the same data and seq_len");
            _position = value;
        }
    }

    /// <summary>The next batch; moves to the next epoch when fewer than a batch of samples remain.</summary>
    public Batch Next()
    {
        if (_position.Index + BatchSize > _source.Count) _position = new DataPosition(_position.Epoch + 1, 0);
        var order = OrderOf(_position.Epoch);
        var samples = new (long[] InputIds, long[] Labels)[BatchSize];
        for (int b = 0; b < BatchSize; b++) samples[b] = _source.GetSample(order[_position.Index + b]);
        _position = _position with { Index = _position.Index + BatchSize };
        return Collate(samples, PadId);
    }

    /// <summary>Right-pads rows to the longest one: ids with <paramref name="padId"/>, labels with -100, mask 0.</summary>
    public static Batch Collate(IReadOnlyList<(long[] InputIds, long[] Labels)> samples, long padId)
    {
        int rows = samples.Count;
        int width = samples.Max(s => s.InputIds.Length);
        var ids = new long[rows * width];
        var labels = new long[rows * width];
        var mask = new long[rows * width];
        bool padded = false;
        long lossTokens = 0, realTokens = 0;
        for (int b = 0; b < rows; b++)
        {
            var (x, y) = samples[b];
            if (x.Length != y.Length) throw new InvalidOperationException($"sample {b}: {x.Length} inputs but {y.Length} labels");
            padded |= x.Length < width;
            realTokens += x.Length;
            for (int t = 0; t < width; t++)
            {
                int k = b * width + t;
                bool real = t < x.Length;
                ids[k] = real ? x[t] : padId;
                labels[k] = real ? y[t] : Batch.IgnoreIndex;
                mask[k] = real ? 1 : 0;
                if (real && y[t] != Batch.IgnoreIndex) lossTokens++;
            }
        }
        var idsT = torch.tensor(ids, dtype: torch.int64).reshape(rows, width); // (B, T)
        var labelsT = torch.tensor(labels, dtype: torch.int64).reshape(rows, width); // (B, T)
        var maskT = padded ? torch.tensor(mask, dtype: torch.int64).reshape(rows, width) : null; // (B, T)
        return new Batch(idsT.DetachFromDisposeScope(), labelsT.DetachFromDisposeScope(), maskT?.DetachFromDisposeScope(), lossTokens, realTokens);
    }

    private int[] OrderOf(long epoch)
    {
        if (_order != null && _orderEpoch == epoch) return _order;
        if (Shuffle)
        {
            _order = SplitMix64.EpochPermutation(_source.Count, Seed, epoch);
        }
        else
        {
            _order = new int[_source.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
        }
        _orderEpoch = epoch;
        return _order;
    }
}
