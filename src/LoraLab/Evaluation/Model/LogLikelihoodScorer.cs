using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Evaluation.Model;

/// <summary>
/// The two ways <see cref="LlamaLanguageModel"/> scores encoded requests: lm-eval's per-pair batches, and shared
/// contexts (one forward pass of a context into a KV cache, then every continuation from a copy of it).
/// Both score token t of the continuation with the logits after context + continuation[..t], at the same positions.
/// </summary>
internal sealed class LogLikelihoodScorer
{
    private readonly LlamaForCausalLM model;
    private readonly int maxLength;
    private readonly int batchSize;

    public LogLikelihoodScorer(LlamaForCausalLM model, int maxLength, int batchSize)
    {
        this.model = model;
        this.maxLength = maxLength;
        this.batchSize = batchSize;
    }

    /// <summary>
    /// lm-eval's <c>_loglikelihood_tokens</c> for one batch: input = (context + continuation)[-(max_length+1):][:-1],
    /// right-padded (padding after a row's tokens cannot affect them under causal attention); the continuation is
    /// scored at the last len(continuation) input positions.
    /// </summary>
    public LogLikelihoodResult[] ScorePairs(IReadOnlyList<EncodedRequest> batch)
    {
        using var scope = NewDisposeScope();
        var inputs = new List<int[]>(batch.Count);
        foreach (var r in batch)
        {
            if (r.Continuation.Length > maxLength)
                throw new LoraLabException($"a continuation of {r.Continuation.Length} tokens does not fit the model's window of {maxLength} tokens");
            int[] full = [.. r.Context, .. r.Continuation];
            int keep = Math.Min(full.Length, maxLength + 1);
            inputs.Add(full[(full.Length - keep)..^1]);
        }
        int width = inputs.Max(x => x.Length);
        int span = batch.Max(r => r.Continuation.Length);
        var hidden = model.Model.Forward(TokenScores.RightPadded(inputs, width, model.Device)); // (N, T, C)
        var positions = new long[batch.Count * span];
        for (int row = 0; row < batch.Count; row++)
        {
            int first = inputs[row].Length - batch[row].Continuation.Length;
            for (int j = 0; j < batch[row].Continuation.Length; j++) positions[row * span + j] = first + j;
        }
        var index = tensor(positions, new long[] { batch.Count, span }, device: hidden.device)
            .unsqueeze(2).expand(batch.Count, span, hidden.shape[2]); // (N, K, C)
        var picked = hidden.gather(1, index); // (N, K, C)
        return TokenScores.Score(model, picked, batch.Select(r => r.Continuation).ToList());
    }

    /// <summary>
    /// Scores groups of requests, each group sharing one context: the groups' contexts minus their last token run
    /// once (right-padded, masked) into a KV cache; the cache rows are copied per member, and each member reads
    /// [last context token] + continuation[..^1] from its copy. Members go in slices of at most the batch size.
    /// Every member's context + continuation must fit the window (no truncation).
    /// </summary>
    public void ScoreShared(IReadOnlyList<IReadOnlyList<(int Index, EncodedRequest Request)>> groups, LogLikelihoodResult[] results)
    {
        using var scope = NewDisposeScope();
        var prefixes = groups.Select(g => g[0].Request.Context[..^1]).ToList();
        int prefixWidth = prefixes.Max(p => p.Length);
        var prefixMask = TokenScores.PrefixMask(prefixes.Select(p => p.Length).ToList(), prefixWidth, model.Device); // (G, Lp)
        using var contextCache = new KvCache(model.Config, groups.Count, prefixWidth, model.DType, model.Device);
        if (prefixWidth > 0) model.Model.Forward(TokenScores.RightPadded(prefixes, prefixWidth, model.Device), prefixMask, contextCache);

        var members = groups.SelectMany((g, gi) => g.Select(m => (Group: gi, m.Index, m.Request))).ToList();
        for (int start = 0; start < members.Count; start += batchSize)
        {
            using var slice = NewDisposeScope();
            var rows = members.Skip(start).Take(batchSize).ToList();
            var inputs = rows.Select(m => (int[])[m.Request.Context[^1], .. m.Request.Continuation[..^1]]).ToList();
            int width = inputs.Max(x => x.Length);
            var groupRows = rows.Select(m => (long)m.Group).ToList();
            using var cache = contextCache.Gather(groupRows, prefixWidth + width);
            var rowMask = prefixMask.index_select(0, tensor(groupRows.ToArray(), ScalarType.Int64, device: model.Device)); // (N, Lp)
            var mask = cat([rowMask, TokenScores.PrefixMask(inputs.Select(x => x.Length).ToList(), width, model.Device)], 1); // (N, Lp + Tc)
            var hidden = model.Model.Forward(TokenScores.RightPadded(inputs, width, model.Device), mask, cache); // (N, Tc, C)
            var scores = TokenScores.Score(model, hidden, rows.Select(m => m.Request.Continuation).ToList());
            for (int i = 0; i < rows.Count; i++) results[rows[i].Index] = scores[i];
        }
    }

    /// <summary>True when the request can be scored from its full context (no left truncation).</summary>
    public bool FitsWindow(EncodedRequest r) => r.InputLength <= maxLength;
}
