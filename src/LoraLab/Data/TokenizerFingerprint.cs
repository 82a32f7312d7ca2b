using System.Security.Cryptography;
using System.Text;
using LoraLab.Tokenization;

namespace LoraLab.Data;

/// <summary>
/// A hash that changes when a tokenizer would tokenize differently: SHA-256 over its vocab size, BOS/EOS ids and the
/// ids it gives a fixed probe text (ASCII, digits, whitespace runs, accents, CJK, emoji). Used to invalidate token caches.
/// Two tokenizers that agree on all of this but differ elsewhere would collide; pass the tokenizer file's own hash as
/// <c>extra</c> when one is available.
/// </summary>
public static class TokenizerFingerprint
{
    private const string Probe =
        "Once upon a time, Lily found 3 shiny stones.\n  Tab\there ### Response: 12+30=42 <<48/2=24>>\n"
        + "naïve café déjà vu — “quotes” 你好世界 こんにちは 🙂 \u00a0end";

    public static string Compute(ITokenizer tokenizer, string extra = "")
    {
        var sb = new StringBuilder();
        sb.Append("vocab=").Append(tokenizer.VocabSize).Append(";bos=").Append(tokenizer.BosId).Append(";eos=").Append(tokenizer.EosId);
        sb.Append(";ids=").AppendJoin(',', tokenizer.Encode(Probe, addBos: true, addEos: true));
        sb.Append(";extra=").Append(extra);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
