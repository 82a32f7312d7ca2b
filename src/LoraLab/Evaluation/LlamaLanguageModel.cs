using LoraLab.Evaluation.Model;
using LoraLab.Generation;
using LoraLab.Models;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Evaluation;

/// <summary>
/// <see cref="ILanguageModel"/> over a LoraLab Llama (with or without LoRA adapters), with lm-eval's HFLM semantics.
/// Log-likelihood: requests are encoded as <see cref="RequestEncoder"/> describes; requests that share a context
/// (the choices of a multiple-choice item) run that context once into a KV cache and each continuation from a copy
/// (<see cref="LlamaLanguageModelOptions.ShareContext"/>); requests too long for the window are left-truncated and
/// scored per pair, exactly as lm-eval does. Generation: <see cref="LlamaGenerator"/> in batches of requests with
/// equal settings; a prompt longer than window − max new tokens keeps its last tokens.
/// </summary>
public sealed class LlamaLanguageModel : ILanguageModel
{
    private readonly LlamaForCausalLM model;
    private readonly ITokenizer tokenizer;
    private readonly RequestEncoder encoder;
    private readonly LogLikelihoodScorer scorer;

    public LlamaLanguageModel(LlamaForCausalLM model, ITokenizer tokenizer, LlamaLanguageModelOptions? options = null)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        Options = options ?? new LlamaLanguageModelOptions();
        Options.Validate();
        MaxLength = Options.MaxLength ?? model.Config.MaxPositionEmbeddings;
        if (MaxLength > model.Config.MaxPositionEmbeddings)
            throw new LoraLabException($"max length {MaxLength} exceeds the model's max_position_embeddings ({model.Config.MaxPositionEmbeddings})");
        encoder = new RequestEncoder(tokenizer, Options.AddBos);
        scorer = new LogLikelihoodScorer(model, MaxLength, Options.BatchSize);
    }

    public LlamaLanguageModelOptions Options { get; }

    /// <summary>The window in tokens (lm-eval's max_length).</summary>
    public int MaxLength { get; }

    public IReadOnlyList<LogLikelihoodResult> LogLikelihood(IReadOnlyList<LogLikelihoodRequest> requests)
    {
        var encoded = requests.Select(encoder.Encode).ToList();
        var results = new LogLikelihoodResult[requests.Count];
        var perPair = new List<int>();
        var groups = new Dictionary<string, List<(int, EncodedRequest)>>(StringComparer.Ordinal);
        for (int i = 0; i < encoded.Count; i++)
        {
            var r = encoded[i];
            if (r.Continuation.Length == 0) results[i] = new LogLikelihoodResult(0.0, true); // nothing to score
            else if (Options.ShareContext && scorer.FitsWindow(r))
            {
                string key = string.Join(',', r.Context);
                if (!groups.TryGetValue(key, out var group)) groups[key] = group = [];
                group.Add((i, r));
            }
            else perPair.Add(i);
        }
        WithEvalMode(() =>
        {
            // longest first, as lm-eval orders requests, so padding within a batch stays small
            foreach (var chunk in perPair.OrderByDescending(i => encoded[i].InputLength).Chunk(Options.BatchSize))
            {
                var scores = scorer.ScorePairs(chunk.Select(i => encoded[i]).ToList());
                for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = scores[j];
            }
            foreach (var chunk in SharedChunks(groups.Values)) scorer.ScoreShared(chunk, results);
        });
        return results;
    }

    public IReadOnlyList<string> GenerateUntil(IReadOnlyList<GenerationRequest> requests)
    {
        var outputs = new string[requests.Count];
        var generator = new LlamaGenerator(model, tokenizer);
        var bySettings = requests.Select((r, i) => (Request: r, Index: i))
            .GroupBy(x => (MaxNew(x.Request), x.Request.Temperature, x.Request.TopP, string.Join("\u0000", x.Request.StopSequences)));
        WithEvalMode(() =>
        {
            foreach (var group in bySettings)
            {
                var first = group.First().Request;
                int maxNew = MaxNew(first);
                foreach (var chunk in group.Chunk(Options.BatchSize))
                {
                    var options = new GenerationOptions
                    {
                        MaxNewTokens = maxNew,
                        Temperature = first.Temperature,
                        TopP = first.TopP,
                        StopSequences = first.StopSequences,
                        StopAtEos = true,
                    };
                    var prompts = chunk.Select(x => PromptIds(x.Request.Prompt, maxNew)).ToList();
                    // request i draws from its own generator, seeded from (its seed, i): its sample does not depend on the
                    // batch size or on which requests share its batch, and n copies of one prompt differ
                    var seeds = chunk.Select(x => GenerationOptions.RequestSeed(x.Request.Seed, x.Index)).ToArray();
                    var results = generator.Generate(prompts, options, seeds);
                    for (int j = 0; j < chunk.Length; j++) outputs[chunk[j].Index] = results[j].Completion ?? "";
                }
            }
        });
        return outputs;
    }

    private int MaxNew(GenerationRequest r) => Math.Max(0, Math.Min(r.MaxNewTokens, Options.MaxNewTokensCap ?? int.MaxValue));

    /// <summary>The prompt's ids with BOS; left-truncated (as lm-eval does) so that prompt + new tokens fit the window.</summary>
    private int[] PromptIds(string prompt, int maxNew)
    {
        int[] ids = tokenizer.Encode(prompt, Options.AddBos);
        if (ids.Length == 0) ids = [tokenizer.BosId ?? tokenizer.EosId ?? throw new LoraLabException("an empty prompt needs a BOS or EOS token")];
        int room = Math.Max(1, MaxLength - maxNew);
        return ids.Length > room ? ids[^room..] : ids;
    }

    /// <summary>Groups sorted by length (longest first) and packed so that a chunk holds at most BatchSize members (a larger group is a chunk of its
    /// own).</summary>
    private IEnumerable<List<IReadOnlyList<(int Index, EncodedRequest Request)>>> SharedChunks(IEnumerable<List<(int, EncodedRequest)>> groups)
    {
        var chunk = new List<IReadOnlyList<(int Index, EncodedRequest Request)>>();
        int rows = 0;
        foreach (var g in groups.OrderByDescending(g => g.Max(m => m.Item2.InputLength)))
        {
            if (chunk.Count > 0 && rows + g.Count > Options.BatchSize)
            {
                yield return chunk;
                chunk = [];
                rows = 0;
            }
            chunk.Add(g);
            rows += g.Count;
        }
        if (chunk.Count > 0) yield return chunk;
    }

    private void WithEvalMode(Action body)
    {
        using var evalMode = EvalMode.Enter(model);
        using var _ = no_grad();
        body();
    }
}
