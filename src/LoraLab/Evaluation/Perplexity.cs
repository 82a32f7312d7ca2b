using System.Text;
using LoraLab.Evaluation.Model;
using LoraLab.Models;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Evaluation;

/// <summary>
/// Token-level perplexity and bits-per-byte of a model on held-out text. Each document is encoded with BOS and every
/// token after the first (BOS) is scored exactly once. Windows: each window scores the next <c>stride</c> tokens, reading at most
/// <c>windowLength</c> tokens (the scored ones plus as much preceding context as fits). stride = windowLength − 1
/// (the default) gives back-to-back windows that share one token of context; a smaller stride gives every scored
/// token more context (Hugging Face's "strided perplexity") at more compute.
/// </summary>
public static class Perplexity
{
    /// <summary>Splits <paramref name="text"/> on <paramref name="separator"/> (if given and present), trims each piece and drops empty ones.</summary>
    public static IReadOnlyList<string> SplitDocuments(string text, string? separator)
    {
        var pieces = string.IsNullOrEmpty(separator) ? [text] : text.Split(separator);
        return pieces.Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
    }

    public static PerplexityResult Evaluate(LlamaForCausalLM model, ITokenizer tokenizer, IReadOnlyList<string> documents,
        int? windowLength = null, int? stride = null, int batchSize = 8, bool addBos = true)
    {
        int window = windowLength ?? model.Config.MaxPositionEmbeddings;
        if (window < 2 || window > model.Config.MaxPositionEmbeddings)
            throw new LoraLabException($"the perplexity window must be in [2, {model.Config.MaxPositionEmbeddings}] tokens, got {window}");
        int step = stride ?? window - 1;
        if (step < 1 || step > window - 1) throw new LoraLabException($"the perplexity stride must be in [1, {window - 1}] tokens, got {step}");
        if (batchSize < 1) throw new LoraLabException($"--batch-size must be ≥ 1, got {batchSize}");

        // (document ids, first input index, input end, number of scored tokens at the end of the input)
        var windows = new List<(int[] Ids, int Begin, int End, int Scored)>();
        long bytes = 0, tokens = 0;
        foreach (string doc in documents)
        {
            bytes += Encoding.UTF8.GetByteCount(doc);
            int[] ids = tokenizer.Encode(doc, addBos);
            // the first token (BOS, or without BOS the first text token) has no context and is not scored
            for (int next = 1; next < ids.Length;)
            {
                int end = Math.Min(next + step, ids.Length);
                int begin = Math.Max(0, end - window);
                windows.Add((ids, begin, end, end - next));
                tokens += end - next;
                next = end;
            }
        }

        double nll = 0;
        using var evalMode = EvalMode.Enter(model);
        using var _ = no_grad();
        foreach (var chunk in windows.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            // input = ids[begin, end-1); targets = ids[end-scored, end), predicted by the last `scored` inputs
            var inputs = chunk.Select(w => w.Ids[w.Begin..(w.End - 1)]).ToList();
            int width = inputs.Max(x => x.Length), span = chunk.Max(w => w.Scored);
            var hidden = model.Model.Forward(TokenScores.RightPadded(inputs, width, model.Device)); // (N, T, C)
            var positions = new long[chunk.Length * span];
            for (int r = 0; r < chunk.Length; r++)
                for (int j = 0; j < chunk[r].Scored; j++) positions[r * span + j] = inputs[r].Length - chunk[r].Scored + j;
            var index = tensor(positions, new long[] { chunk.Length, span }, device: hidden.device)
                .unsqueeze(2).expand(chunk.Length, span, hidden.shape[2]); // (N, K, C)
            var scores = TokenScores.Score(model, hidden.gather(1, index), chunk.Select(w => w.Ids[(w.End - w.Scored)..w.End]).ToList());
            nll -= scores.Sum(s => s.LogLikelihood);
        }
        return new PerplexityResult(documents.Count, tokens, bytes, nll, windows.Count, window, step);
    }
}
