using LoraLab.Models;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Generation;

/// <summary>
/// Autoregressive generation with a preallocated KV cache. A batch of prompts of different lengths is left-padded,
/// with an attention mask and positions that make each row compute exactly what it would alone. A single prompt on a
/// plain float32 CPU model decodes through <see cref="FusedDecoder"/> (unless <c>LORALAB_KERNELS=reference</c>).
/// </summary>
public sealed class LlamaGenerator
{
    private readonly LlamaForCausalLM model;
    private readonly ITokenizer? tokenizer;

    public LlamaGenerator(LlamaForCausalLM model, ITokenizer? tokenizer = null)
    {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /// <summary>Encodes each prompt (with BOS), generates, and decodes.</summary>
    /// <param name="seeds">Per-prompt generator seeds; default <see cref="GenerationOptions.RequestSeed"/>(options.Seed, i).</param>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions options, IReadOnlyList<long>? seeds = null)
    {
        var tok = tokenizer ?? throw new InvalidOperationException("text generation needs a tokenizer");
        return Generate(prompts.Select(p => tok.Encode(p, addBos: true)).ToList(), options, seeds);
    }

    /// <summary>
    /// Generates continuations of token-id prompts (each must be non-empty). When sampling, prompt i draws from its own
    /// generator seeded with <paramref name="seeds"/>[i] (default <see cref="GenerationOptions.RequestSeed"/>(options.Seed, i)):
    /// the same prompt with the same seed gives the same tokens alone or in any batch.
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options, IReadOnlyList<long>? seeds = null)
    {
        options.Validate();
        if (prompts.Count == 0) return Array.Empty<GenerationResult>();
        if (prompts.Any(p => p.Length == 0)) throw new LoraLabException("a prompt must hold at least one token (e.g. BOS).");
        if (seeds != null && seeds.Count != prompts.Count) throw new ArgumentException($"{seeds.Count} seeds for {prompts.Count} prompts", nameof(seeds));
        seeds ??= Enumerable.Range(0, prompts.Count).Select(i => GenerationOptions.RequestSeed(options.Seed, i)).ToArray();
        int batch = prompts.Count;
        int maxPrompt = prompts.Max(p => p.Length);
        int limit = model.Config.MaxPositionEmbeddings;
        if (maxPrompt > limit) throw new LoraLabException($"a prompt of {maxPrompt} tokens exceeds the model's max_position_embeddings ({limit}).");
        int maxNew = Math.Min(options.MaxNewTokens, limit - maxPrompt);
        var eos = options.StopAtEos ? model.Config.AllEosTokenIds.ToHashSet() : new HashSet<int>();
        var generated = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var reasons = Enumerable.Repeat(FinishReason.Length, batch).ToArray();
        var done = new bool[batch];
        if (batch == 1 && FusedDecoder.WhyNot(model) is null)
        {
            var (ids1, reason1) = DecodeFused(prompts[0], maxNew, eos, new TokenSampler(options, seeds), options);
            return [MakeResult(prompts[0], ids1, reason1, options)];
        }
        bool padded = prompts.Any(p => p.Length != maxPrompt);
        int padId = model.Config.PadTokenId ?? model.Config.EosTokenId ?? 0;

        using (no_grad())
        using (var cache = new KvCache(model.Config, batch, maxPrompt + Math.Max(maxNew, 1), model.DType, model.Device))
        {
            var sampler = new TokenSampler(options, seeds);
            using var evalMode = EvalMode.Enter(model);
            var ids = new long[batch * maxPrompt];
            var mask = new long[batch * (maxPrompt + maxNew)];
            for (int b = 0; b < batch; b++)
            {
                int pad = maxPrompt - prompts[b].Length;
                for (int t = 0; t < maxPrompt; t++)
                {
                    ids[b * maxPrompt + t] = t < pad ? padId : prompts[b][t - pad];
                }
                for (int t = 0; t < maxPrompt + maxNew; t++) mask[b * (maxPrompt + maxNew) + t] = t < pad ? 0 : 1;
            }
            using var fullMask = tensor(mask, new long[] { batch, maxPrompt + maxNew }, device: model.Device); // (B, S_max)
            using var input0 = tensor(ids, new long[] { batch, maxPrompt }, device: model.Device); // (B, T)
            Tensor? next = null;
            for (int step = 0; step < maxNew; step++)
            {
                using var scope = NewDisposeScope();
                var input = step == 0 ? input0 : next!;
                long seen = cache.Length + input.shape[1];
                var stepMask = padded ? fullMask.narrow(1, 0, seen) : null; // (B, S)
                var logits = model.ForwardLast(input, stepMask, cache); // (B, V)
                var chosenIds = sampler.Next(logits.cpu()); // (B): sampled on the CPU
                for (int b = 0; b < batch; b++)
                {
                    if (done[b]) { chosenIds[b] = padId; continue; }
                    int id = (int)chosenIds[b];
                    if (eos.Contains(id)) { done[b] = true; reasons[b] = FinishReason.Eos; continue; }
                    generated[b].Add(id);
                    if (options.StopSequences.Count > 0 && tokenizer != null && StopIndex(Completion(prompts[b], generated[b]), options.StopSequences) >= 0)
                    {
                        done[b] = true;
                        reasons[b] = FinishReason.StopSequence;
                    }
                }
                if (done.All(d => d)) break;
                next?.Dispose();
                next = tensor(chosenIds, new long[] { batch, 1 }, device: model.Device).DetachFromDisposeScope(); // (B, 1)
            }
            next?.Dispose();
        }
        return Enumerable.Range(0, batch).Select(b => MakeResult(prompts[b], generated[b], reasons[b], options)).ToList();
    }

    /// <summary>
    /// One prompt through <see cref="FusedDecoder"/>: the prompt's tokens enter the cache one by one (logits only for the
    /// last), then each chosen token is fed back — the same choices and stopping rules as the batched loop.
    /// </summary>
    private (List<int> Ids, FinishReason Reason) DecodeFused(int[] prompt, int maxNew, HashSet<int> eos, TokenSampler sampler, GenerationOptions options)
    {
        var ids = new List<int>();
        if (maxNew == 0) return (ids, FinishReason.Length);
        using var decoder = new FusedDecoder(model, prompt.Length + maxNew, get_num_threads(), greedy: sampler.Greedy);
        for (int t = 0; t < prompt.Length - 1; t++) decoder.Step(prompt[t], t, wantLogits: false);
        int token = prompt[^1];
        for (int step = 0; step < maxNew; step++)
        {
            int pos = prompt.Length - 1 + step;
            int id = sampler.Greedy ? decoder.StepGreedy(token, pos) : sampler.NextOne(decoder.Step(token, pos));
            if (eos.Contains(id)) return (ids, FinishReason.Eos);
            ids.Add(id);
            if (options.StopSequences.Count > 0 && tokenizer != null && StopIndex(Completion(prompt, ids), options.StopSequences) >= 0)
                return (ids, FinishReason.StopSequence);
            token = id;
        }
        return (ids, FinishReason.Length);
    }

    private GenerationResult MakeResult(int[] prompt, List<int> newIds, FinishReason reason, GenerationOptions options)
    {
        var result = new GenerationResult(prompt, newIds.ToArray(), reason);
        if (tokenizer is null) return result;
        string completion = Completion(prompt, newIds);
        int cut = StopIndex(completion, options.StopSequences);
        if (cut >= 0) completion = completion[..cut];
        return result with { Completion = completion, FullText = tokenizer.Decode(prompt) + completion };
    }

    /// <summary>The text the new tokens add to the decoded prompt (decoding the whole sequence keeps spacing right).</summary>
    private string Completion(int[] prompt, List<int> newIds)
    {
        string promptText = tokenizer!.Decode(prompt);
        string full = tokenizer.Decode(prompt.Concat(newIds).ToArray());
        return full.StartsWith(promptText, StringComparison.Ordinal) ? full[promptText.Length..] : tokenizer.Decode(newIds);
    }

    private static int StopIndex(string text, IReadOnlyList<string> stops)
    {
        int best = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}
