using System.Diagnostics;
using LoraLab.Checkpoints;
using LoraLab.Evaluation;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Evaluation.Tasks;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Bench;

/// <summary>
/// `--eval`: multiple-choice scoring throughput on stories260K with real ARC-Challenge items, shared-context
/// (one KV-cached context per item) vs per-pair scoring, checking both give the same numbers; and HumanEval sandbox
/// executions per second.
/// </summary>
public static class EvalBench
{
    public static void Run(string shared, bool quick)
    {
        var rows = new List<string[]>();
        string bin = Path.Combine(shared, "models", "stories260K", "stories260K.bin");
        string tok = Path.Combine(shared, "models", "stories260K", "tok512.model");
        string arc = Path.Combine(shared, "data", "arc", "ARC-Challenge-Train.jsonl");
        if (File.Exists(bin) && File.Exists(tok) && File.Exists(arc))
        {
            using var model = Llama2cCheckpoint.LoadModel(bin);
            var tokenizer = TokenizerLoader.LoadFile(tok, model.Config.VocabSize);
            var task = ArcTask.FromFiles("arc_challenge", arc, arc);
            int items = quick ? 64 : 256;
            foreach (int shots in new[] { 0, 5 })
            {
                var requests = Enumerable.Range(0, items).SelectMany(i => task.BuildInstance(i, shots, 1234).LogLikelihoodRequests).ToList();
                var perPair = Measure(model, tokenizer, requests, items, shareContext: false);
                var sharedCtx = Measure(model, tokenizer, requests, items, shareContext: true);
                double diff = perPair.Results.Zip(sharedCtx.Results, (a, b) => Math.Abs(a.LogLikelihood - b.LogLikelihood)).Max();
                bool sameGreedy = perPair.Results.Select(r => r.IsGreedy).SequenceEqual(sharedCtx.Results.Select(r => r.IsGreedy));
                string note = $"{items} ARC items, {requests.Count} choices, batch 8, median of 3";
                rows.Add([$"stories260K ARC {shots}-shot, per-pair", $"{perPair.ItemsPerSecond:F1} items/s", note]);
                rows.Add([$"stories260K ARC {shots}-shot, shared context", $"{sharedCtx.ItemsPerSecond:F1} items/s",
                    $"×{sharedCtx.ItemsPerSecond / perPair.ItemsPerSecond:F2}; max |Δ ll| {diff:E1}, greedy flags equal: {sameGreedy}"]);
            }
        }
        else
        {
            Console.WriteLine($"(multiple-choice rows skipped: stories260K or ARC not under {shared}; pass --shared DIR)");
        }

        try
        {
            var sandbox = new PythonSandbox();
            int count = quick ? 16 : 64;
            var programs = Enumerable.Range(0, count).Select(i => $"def f(x):\n    return x + {i}\n\nassert f(1) == {i + 1}\n").ToList();
            sandbox.RunAll(programs.Take(2).ToList()); // warm-up
            var sw = Stopwatch.StartNew();
            var results = sandbox.RunAll(programs);
            sw.Stop();
            rows.Add(["HumanEval sandbox", $"{count / sw.Elapsed.TotalSeconds:F1} executions/s",
                $"{count} tiny programs, {sandbox.Options.EffectiveWorkers} workers, {results.Count(r => r.Passed)} passed, layers: " +
                    $"{string.Join("+", sandbox.Environment.Layers)}"]);
        }
        catch (LoraLabException e)
        {
            Console.WriteLine($"(sandbox row skipped: {e.Message})");
        }
        Table.Print(["measurement", "value", "notes"], rows);
    }

    private static (double ItemsPerSecond, IReadOnlyList<LogLikelihoodResult> Results) Measure(
        LlamaForCausalLM model, ITokenizer tokenizer, List<LogLikelihoodRequest> requests, int items, bool shareContext)
    {
        var lm = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(BatchSize: 8, ShareContext: shareContext));
        lm.LogLikelihood(requests.Take(16).ToList()); // warm-up
        var times = new List<double>();
        IReadOnlyList<LogLikelihoodResult> results = [];
        for (int r = 0; r < 3; r++)
        {
            var sw = Stopwatch.StartNew();
            results = lm.LogLikelihood(requests);
            times.Add(items / sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return (times[1], results);
    }
}
