using System.CommandLine;

namespace LoraLab.Cli.Commands;

/// <summary>The options of <c>loralab eval --model DIR --tasks …</c> (a model run; see <see cref="EvalCommand"/>).</summary>
internal sealed class EvalModelOptions
{
    public readonly Option<DirectoryInfo> Model = new("--model") { Description = "Hugging Face model directory, a run's checkpoints/step-N (base from " +
        "the run's config), or a LoRA run's final/." };
    public readonly Option<DirectoryInfo> Run = new("--run") { Description = "A run directory: evaluate every kept checkpoint into " +
        "RUN/eval/step-N.json and RUN/eval/curve.jsonl (resumable)." };
    public readonly Option<string> Checkpoints = new("--checkpoints") { Description = "With --run: all (default), final, or \"every N\" (steps that " +
        "are multiples of N, plus the final one)." };
    public readonly Option<DirectoryInfo> Adapter = new("--adapter") { Description = "PEFT LoRA adapter directory applied to --model." };
    public readonly Option<string> Tasks = new("--tasks") { Description = "Comma-separated: gsm8k, humaneval, hellaswag, arc_challenge, arc_easy, " +
        "winogrande, perplexity." };
    public readonly Option<DirectoryInfo> Data = new("--data") { Description = "Directory holding task files by conventional names (gsm8k/test.jsonl, " +
        "hellaswag/hellaswag_val.jsonl, arc/ARC-Challenge-Test.jsonl, winogrande/dev.jsonl, humaneval/HumanEval.jsonl.gz, perplexity/*.txt; few-shot: " +
        "gsm8k/train.jsonl, arc/ARC-Challenge-Train.jsonl, …)." };
    public readonly Option<string[]> TaskFile = new("--task-file") { Description = "TASK=PATH: the evaluation file of a task (repeatable; overrides --data)." };
    public readonly Option<string[]> FewShotFile = new("--fewshot-file") { Description = "TASK=PATH: the few-shot (train) file of a task (repeatable)." };
    public readonly Option<int?> Limit = new("--limit") { Description = "Evaluate only the first N documents (problems, perplexity documents) of each task." };
    public readonly Option<int?> NumFewShot = new("--num-fewshot") { Description = "Few-shot examples (default: each task's lm-eval default)." };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 8 };
    public readonly Option<int> Seed = new("--seed") { Description = "Seed for few-shot sampling and generation.", DefaultValueFactory = _ => 1234 };
    public readonly Option<int?> MaxGenTokens = new("--max-gen-tokens") { Description = "Cap on new tokens per generation (GSM8K default 256)." };
    public readonly Option<bool> NoShareContext = new("--no-share-context") { Description = "Score every (context, choice) pair from scratch instead " +
        "of sharing the context's KV cache." };
    public readonly Option<string> Dtype = new("--dtype") { Description = "compute dtype: fp32 (default) or bf16", DefaultValueFactory = _ => "fp32" };
    public readonly Option<string> Device = DeviceOption.Create();
    public readonly Option<int> N = new("--n") { Description = "HumanEval samples per problem.", DefaultValueFactory = _ => 50 };
    public readonly Option<double> Temperature = new("--temperature") { Description = "HumanEval sampling temperature.", DefaultValueFactory = _ => 0.2 };
    public readonly Option<double> TopP = new("--top-p") { Description = "HumanEval nucleus sampling threshold.", DefaultValueFactory = _ => 0.95 };
    public readonly Option<bool> Greedy = new("--greedy") { Description = "HumanEval: one greedy completion per problem (n = 1)." };
    public readonly Option<int> HumanEvalMaxNew = new("--humaneval-max-new-tokens") { Description = "HumanEval: max new tokens per completion.",
        DefaultValueFactory = _ => 512 };
    public readonly Option<double> Timeout = new("--timeout") { Description = "HumanEval: seconds per program.", DefaultValueFactory = _ => 3.0 };
    public readonly Option<int> Workers = new("--workers") { Description = "HumanEval: programs run at once (0 = min(cores, 8)).",
        DefaultValueFactory = _ => 0 };
    public readonly Option<int?> PplStride = new("--ppl-stride") { Description = "Perplexity: new tokens per window (default window − 1)." };
    public readonly Option<string> PplSeparator = new("--ppl-separator") { Description = "Perplexity: document separator in the text file.",
        DefaultValueFactory = _ => "<|endoftext|>" };
    public readonly Option<FileInfo> Out = new("--out") { Description = "Results JSON; the per-sample log is written beside it (.samples.jsonl). With " +
        "--run: the output directory (default RUN/eval)." };

    public IEnumerable<Option> All => [Model, Run, Checkpoints, Adapter, Tasks, Data, TaskFile, FewShotFile, Limit, NumFewShot, BatchSize, Seed, MaxGenTokens,
        NoShareContext, Dtype, Device, N, Temperature, TopP, Greedy, HumanEvalMaxNew, Timeout, Workers, PplStride, PplSeparator, Out];

    /// <summary>Parses repeated TASK=PATH values.</summary>
    public static Dictionary<string, string> Pairs(string[]? values, string option)
    {
        var result = new Dictionary<string, string>();
        foreach (var v in values ?? [])
        {
            int eq = v.IndexOf('=');
            if (eq <= 0 || eq == v.Length - 1) throw new LoraLabException($"{option} '{v}': expected TASK=PATH, e.g. {option} gsm8k=data/gsm8k/test.jsonl");
            result[v[..eq].Trim()] = v[(eq + 1)..];
        }
        return result;
    }
}
