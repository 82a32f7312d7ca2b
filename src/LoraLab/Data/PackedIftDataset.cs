namespace LoraLab.Data;

/// <summary>
/// Instruction-finetuning examples packed into full windows (<c>data.packing: true</c>): the sequences of an
/// <see cref="IftDataset"/> (same tokenization, truncation and drops) are concatenated in file order into one stream,
/// each position labelled with its own token if it is a response token (or EOS) and −100 otherwise, and cut like
/// <see cref="CptDataset"/>: window k is stream[k·L, k·L + L + 1), input = window[0..L), labels[t] = label of
/// window[t + 1]. Consecutive windows share one token, so every stream position is a target at most once.
/// <list type="bullet">
/// <item>Loss tokens are exactly those of the unpacked samples (the response tokens and EOS of every example), in the
/// same order, each predicted from the same preceding tokens of its own example.</item>
/// <item>Boundaries: the first token of every example is labelled −100, so it is never predicted from the previous
/// example's last token (it is BOS, a prompt token, in any case unless the prompt renders to nothing). An example may
/// be split across two windows (as torchtune's <c>split_across_pack=True</c>); its continuation then loses the
/// context left in the previous window.</item>
/// <item>Attention is NOT separated per example: an example can attend to the earlier examples of its window and
/// positions keep counting across examples (llm-foundry's concatenated-token style, without a sequence-id mask;
/// torchtune's packed datasets instead pass a block-causal mask and per-example positions, which
/// <c>LlamaForCausalLM.Forward</c>'s (B, S) padding mask cannot express).</item>
/// <item>All windows hold seq_len inputs except the last, which holds the rest of the stream (the loader pads it);
/// nothing is dropped here.</item>
/// </list>
/// The windows depend only on the data, tokenizer and seq_len, so a <see cref="BatchLoader"/> position resumes exactly.
/// </summary>
public sealed class PackedIftDataset : ITokenSampleSource
{
    private readonly int[] _tokens;
    private readonly int[] _labels;

    public PackedIftDataset(IftDataset examples)
    {
        SeqLen = examples.SeqLen;
        Examples = examples;
        long total = 0;
        for (int i = 0; i < examples.Count; i++) total += examples.Sequence(i).Length;
        if (total > int.MaxValue) throw new LoraLabException($"packed ift data: {total} tokens; at most {int.MaxValue} are supported in memory");
        _tokens = new int[total];
        _labels = new int[total];
        int pos = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            var s = examples.Sequence(i);
            int prompt = examples.PromptLength(i);
            for (int t = 0; t < s.Length; t++, pos++)
            {
                _tokens[pos] = s[t];
                _labels[pos] = t == 0 || t < prompt ? (int)Batch.IgnoreIndex : s[t];
                if (_labels[pos] != Batch.IgnoreIndex) LossTokens++;
            }
        }
        Count = _tokens.Length > 1 ? (_tokens.Length - 1 + SeqLen - 1) / SeqLen : 0;
        if (Count == 0) throw new LoraLabException($"packed ift data: {_tokens.Length} tokens cannot form a window; add data");
    }

    /// <summary>The examples that were packed.</summary>
    public IftDataset Examples { get; }

    public int SeqLen { get; }

    /// <summary>Number of windows (the last may be shorter than seq_len).</summary>
    public int Count { get; }

    public int MaxLength => SeqLen;

    /// <summary>Tokens in the packed stream.</summary>
    public int StreamLength => _tokens.Length;

    /// <summary>Labels that are not −100 over all windows (equal to the unpacked samples' loss tokens).</summary>
    public long LossTokens { get; }

    /// <summary>One line for the log.</summary>
    public string Summary() =>
        $"{Examples.Summary()}; packed into {Count} windows of {SeqLen} ({StreamLength} tokens, {LossTokens} loss tokens)";

    public (long[] InputIds, long[] Labels) GetSample(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        int start = index * SeqLen;
        int n = Math.Min(SeqLen, _tokens.Length - 1 - start);
        var input = new long[n];
        var labels = new long[n];
        for (int t = 0; t < n; t++)
        {
            input[t] = _tokens[start + t];
            labels[t] = _labels[start + t + 1];
        }
        return (input, labels);
    }
}
