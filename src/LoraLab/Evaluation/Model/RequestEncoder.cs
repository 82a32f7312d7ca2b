using LoraLab.Tokenization;

namespace LoraLab.Evaluation.Model;

/// <summary>
/// lm-eval's <c>_encode_pair</c>: trailing whitespace of the context moves to the front of the continuation;
/// whole = encode(context + continuation), context_enc = encode(context), continuation_enc = whole[len(context_enc):].
/// Both encodings get BOS when <c>addBos</c> (so the boundary may merge: the continuation is whatever the whole-string
/// encoding has after the context's token count). An empty context becomes the single prefix token (BOS, else EOS),
/// and the continuation is then encoded alone, as lm-eval does.
/// </summary>
public sealed class RequestEncoder
{
    private readonly ITokenizer tokenizer;
    private readonly bool addBos;
    private readonly Dictionary<string, int[]> contextCache = new(StringComparer.Ordinal);

    public RequestEncoder(ITokenizer tokenizer, bool addBos = true)
    {
        this.tokenizer = tokenizer;
        this.addBos = addBos;
    }

    public EncodedRequest Encode(LogLikelihoodRequest request)
    {
        string context = request.Context, continuation = request.Continuation;
        int kept = context.TrimEnd().Length; // Python's rstrip(): Unicode whitespace
        if (kept < context.Length)
        {
            continuation = context[kept..] + continuation;
            context = context[..kept];
        }
        if (context.Length == 0)
        {
            int prefix = tokenizer.BosId ?? tokenizer.EosId
                ?? throw new LoraLabException("an empty context needs a BOS or EOS token, and this tokenizer has neither");
            return new EncodedRequest([prefix], tokenizer.Encode(continuation, addBos: false));
        }
        int[] whole = tokenizer.Encode(context + continuation, addBos);
        if (!contextCache.TryGetValue(context, out int[]? contextIds))
        {
            contextIds = tokenizer.Encode(context, addBos);
            contextCache[context] = contextIds;
        }
        int start = Math.Min(contextIds.Length, whole.Length);
        return new EncodedRequest(contextIds, whole[start..]);
    }
}
