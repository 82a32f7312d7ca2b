namespace LoraLab.Data;

/// <summary>
/// Packed continued-pretraining samples over a <see cref="TokenCache"/>: sample i is the window of seq_len + 1 tokens
/// starting at i·seq_len (consecutive windows share one token, so every token but the first is a target once);
/// input = window[0..seq_len), labels = window[1..seq_len] (no -100: documents are packed across EOS, as llm-foundry's
/// concatenated-token data). Count = (N − 1) / seq_len; the tail that does not fill a window is dropped.
/// </summary>
public sealed class CptDataset : ITokenSampleSource
{
    private readonly TokenCache _cache;

    public CptDataset(TokenCache cache, int seqLen)
    {
        if (seqLen <= 0) throw new LoraLabException($"data.seq_len must be > 0, got {seqLen}");
        long windows = cache.Count > 0 ? (cache.Count - 1) / seqLen : 0;
        if (windows == 0) throw new LoraLabException($"{cache.Path}: {cache.Count} tokens are fewer than one window of seq_len + 1 = {seqLen + 1}; add " +
            "data or lower data.seq_len");
        if (windows > int.MaxValue) throw new LoraLabException($"{cache.Path}: {windows} windows; raise data.seq_len");
        _cache = cache;
        SeqLen = seqLen;
        Count = (int)windows;
    }

    public int SeqLen { get; }

    public int Count { get; }

    public int MaxLength => SeqLen;

    public (long[] InputIds, long[] Labels) GetSample(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        var window = new int[SeqLen + 1];
        _cache.Read((long)index * SeqLen, window);
        var input = new long[SeqLen];
        var labels = new long[SeqLen];
        for (int t = 0; t < SeqLen; t++)
        {
            input[t] = window[t];
            labels[t] = window[t + 1];
        }
        return (input, labels);
    }
}
