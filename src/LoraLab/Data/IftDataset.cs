using LoraLab.Tokenization;

namespace LoraLab.Data;

/// <summary>
/// Instruction-finetuning samples from JSONL or Parquet prompt/response rows, tokenized once in memory as llm-foundry does:
/// prompt ids = Encode(template(prompt), BOS, no EOS), response ids = Encode(response, no BOS, EOS), sequence
/// s = prompt ids ++ response ids. Sample: input = s[0..L−1), labels = s[1..L) with the labels that would predict a
/// prompt token set to -100, so the loss covers the response tokens and EOS only.
/// A sequence longer than seq_len + 1 is truncated to its first seq_len + 1 tokens (counted in <see cref="Truncated"/>);
/// a row whose prompt alone fills seq_len + 1 tokens keeps no response token and is dropped (<see cref="DroppedPromptTooLong"/>).
/// </summary>
public sealed class IftDataset : ITokenSampleSource
{
    private readonly List<int[]> _tokens = [];
    private readonly List<int> _promptLengths = [];

    public IftDataset(IReadOnlyList<string> paths, ITokenizer tokenizer, IftFormat format, int seqLen, bool skipBadRows = false)
    {
        if (seqLen <= 0) throw new LoraLabException($"data.seq_len must be > 0, got {seqLen}");
        if (tokenizer.EosId is null) throw new LoraLabException("the tokenizer has no EOS token; instruction finetuning needs one to end responses");
        SeqLen = seqLen;
        Format = format;
        foreach (string path in paths)
        {
            var read = FieldRows.Read(path, [format.PromptField, format.ResponseField], skipBadRows);
            BadRows += read.BadRows;
            FirstBadRow ??= read.FirstBadRow;
            foreach (var row in read.Rows)
            {
                Rows++;
                int[] prompt = tokenizer.Encode(format.RenderPrompt(row[0]), addBos: true, addEos: false);
                int[] response = tokenizer.Encode(row[1], addBos: false, addEos: true);
                if (prompt.Length >= seqLen + 1)
                {
                    DroppedPromptTooLong++;
                    continue;
                }
                int total = prompt.Length + response.Length;
                if (total > seqLen + 1) Truncated++;
                int keep = Math.Min(total, seqLen + 1);
                var s = new int[keep];
                prompt.CopyTo(s, 0);
                Array.Copy(response, 0, s, prompt.Length, keep - prompt.Length);
                _tokens.Add(s);
                _promptLengths.Add(prompt.Length);
            }
        }
        if (_tokens.Count == 0) throw new LoraLabException($"{string.Join(", ", paths)}: no usable prompt/response rows (rows {Rows}, bad {BadRows}, " +
            $"prompt too long {DroppedPromptTooLong})");
    }

    public IftFormat Format { get; }

    public int SeqLen { get; }

    /// <summary>Good rows read (before dropping).</summary>
    public int Rows { get; }

    /// <summary>Rows skipped as malformed (only with skipBadRows).</summary>
    public int BadRows { get; }

    /// <summary>The first skipped row's message, or null.</summary>
    public string? FirstBadRow { get; }

    /// <summary>Samples cut to seq_len.</summary>
    public int Truncated { get; }

    /// <summary>Rows dropped because the prompt alone reached seq_len + 1 tokens.</summary>
    public int DroppedPromptTooLong { get; }

    public int Count => _tokens.Count;

    public int MaxLength => SeqLen;

    /// <summary>The token sequence s (prompt ids ++ response ids, truncated to seq_len + 1) of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Sequence(int index) => _tokens[index];

    /// <summary>Prompt length (tokens, BOS included) of sample <paramref name="index"/>.</summary>
    public int PromptLength(int index) => _promptLengths[index];

    /// <summary>One line for the log: counts of rows, samples, truncations, drops, bad rows.</summary>
    public string Summary() =>
        $"{Rows} rows → {Count} samples; truncated to seq_len {SeqLen}: {Truncated}; dropped (prompt too long): {DroppedPromptTooLong}; bad rows " +
            $"skipped: {BadRows}"
        + (FirstBadRow != null ? $" (first: {FirstBadRow})" : "");

    public (long[] InputIds, long[] Labels) GetSample(int index)
    {
        int[] s = _tokens[index];
        int promptLength = _promptLengths[index];
        int n = s.Length - 1;
        var input = new long[n];
        var labels = new long[n];
        for (int t = 0; t < n; t++)
        {
            input[t] = s[t];
            labels[t] = t + 1 < promptLength ? Batch.IgnoreIndex : s[t + 1];
        }
        return (input, labels);
    }
}
