namespace LoraLab.Evaluation;

/// <summary>
/// Perplexity of a model on a text: <paramref name="Tokens"/> scored tokens (every token after each document's BOS),
/// <paramref name="TotalNll"/> their summed negative log-likelihood in nats, over <paramref name="Bytes"/> UTF-8 bytes
/// of document text, in <paramref name="Windows"/> forward windows.
/// </summary>
public sealed record PerplexityResult(int Documents, long Tokens, long Bytes, double TotalNll, int Windows, int WindowLength, int Stride)
{
    /// <summary>Mean NLL per token (nats).</summary>
    public double MeanNll => Tokens == 0 ? double.NaN : TotalNll / Tokens;

    /// <summary>exp(mean NLL per token).</summary>
    public double Perplexity => Math.Exp(MeanNll);

    /// <summary>Total NLL in bits per UTF-8 byte: TotalNll / ln 2 / Bytes (tokenizer-independent).</summary>
    public double BitsPerByte => Bytes == 0 ? double.NaN : TotalNll / Math.Log(2) / Bytes;
}
