namespace LoraLab.Evaluation.Suite;

/// <summary>
/// Finds each task's evaluation file (and few-shot file) under a data directory by conventional names, first match
/// wins ('*' matches within a file name, sorted ordinally):
/// <list type="bullet">
/// <item>gsm8k: gsm8k/test.jsonl | gsm8k/test.jsonl.gz | gsm8k/main/test-*.parquet | gsm8k/test-*.parquet; few-shot gsm8k/train.jsonl |
/// gsm8k/main/train-*.parquet</item>
/// <item>hellaswag: hellaswag/hellaswag_val.jsonl | hellaswag/validation.jsonl | hellaswag/validation-*.parquet |
/// hellaswag/data/validation-*.parquet; few-shot hellaswag/hellaswag_train.jsonl | hellaswag/train.jsonl | hellaswag/data/train-*.parquet</item>
/// <item>arc_challenge: arc/ARC-Challenge-Test.jsonl | arc/ARC-Challenge/test-*.parquet | ARC-Challenge/test-*.parquet; few-shot
/// arc/ARC-Challenge-Train.jsonl | arc/ARC-Challenge/train-*.parquet (arc_easy likewise with ARC-Easy)</item>
/// <item>winogrande: winogrande/dev.jsonl | winogrande/winogrande_1.1/dev.jsonl | winogrande/validation.jsonl |
/// winogrande/winogrande_xl/validation-*.parquet; few-shot winogrande/train_xl.jsonl | winogrande/winogrande_1.1/train_xl.jsonl</item>
/// <item>humaneval: humaneval/HumanEval.jsonl.gz | humaneval/HumanEval.jsonl | HumanEval.jsonl.gz | HumanEval.jsonl</item>
/// <item>perplexity: perplexity/heldout.txt | perplexity/*.txt | tinystories/TinyStories-valid*.txt</item>
/// </list>
/// </summary>
public static class TaskFileResolver
{
    public static readonly IReadOnlyList<string> KnownTasks = ["gsm8k", "humaneval", "hellaswag", "arc_challenge", "arc_easy", "winogrande", "perplexity"];

    private static readonly Dictionary<string, string[]> EvalNames = new()
    {
        ["gsm8k"] = ["gsm8k/test.jsonl", "gsm8k/test.jsonl.gz", "gsm8k/main/test-*.parquet", "gsm8k/test-*.parquet"],
        ["hellaswag"] = ["hellaswag/hellaswag_val.jsonl", "hellaswag/validation.jsonl", "hellaswag/validation-*.parquet",
            "hellaswag/data/validation-*.parquet"],
        ["arc_challenge"] = ["arc/ARC-Challenge-Test.jsonl", "arc/ARC-Challenge/test-*.parquet", "ARC-Challenge/test-*.parquet"],
        ["arc_easy"] = ["arc/ARC-Easy-Test.jsonl", "arc/ARC-Easy/test-*.parquet", "ARC-Easy/test-*.parquet"],
        ["winogrande"] = ["winogrande/dev.jsonl", "winogrande/winogrande_1.1/dev.jsonl", "winogrande/validation.jsonl",
            "winogrande/winogrande_xl/validation-*.parquet"],
        ["humaneval"] = ["humaneval/HumanEval.jsonl.gz", "humaneval/HumanEval.jsonl", "HumanEval.jsonl.gz", "HumanEval.jsonl"],
        ["perplexity"] = ["perplexity/heldout.txt", "perplexity/*.txt", "tinystories/TinyStories-valid*.txt"],
    };

    private static readonly Dictionary<string, string[]> FewShotNames = new()
    {
        ["gsm8k"] = ["gsm8k/train.jsonl", "gsm8k/main/train-*.parquet"],
        ["hellaswag"] = ["hellaswag/hellaswag_train.jsonl", "hellaswag/train.jsonl", "hellaswag/data/train-*.parquet"],
        ["arc_challenge"] = ["arc/ARC-Challenge-Train.jsonl", "arc/ARC-Challenge/train-*.parquet"],
        ["arc_easy"] = ["arc/ARC-Easy-Train.jsonl", "arc/ARC-Easy/train-*.parquet"],
        ["winogrande"] = ["winogrande/train_xl.jsonl", "winogrande/winogrande_1.1/train_xl.jsonl"],
    };

    /// <summary>The evaluation file: the explicit one, else the first conventional name under the data dir.</summary>
    public static string EvalFile(string task, IReadOnlyDictionary<string, string> explicitFiles, string? dataDir)
    {
        if (explicitFiles.TryGetValue(task, out var path))
        {
            if (!File.Exists(path)) throw new LoraLabException($"--task-file {task}={path}: file not found");
            return path;
        }
        if (dataDir is null)
            throw new LoraLabException($"task '{task}' has no file: pass --data DIR (looked-up names: {string.Join(", ", EvalNames[task])}) or " +
                $"--task-file {task}=PATH");
        return Find(dataDir, EvalNames[task])
            ?? throw new LoraLabException($"task '{task}': none of {string.Join(", ", EvalNames[task])} exists under {dataDir}; add one or pass " +
                $"--task-file {task}=PATH");
    }

    /// <summary>The few-shot file: the explicit one, else a conventional name under the data dir, else null.</summary>
    public static string? FewShotFile(string task, IReadOnlyDictionary<string, string> explicitFiles, string? dataDir)
    {
        if (explicitFiles.TryGetValue(task, out var path))
        {
            if (!File.Exists(path)) throw new LoraLabException($"--fewshot-file {task}={path}: file not found");
            return path;
        }
        return dataDir is not null && FewShotNames.TryGetValue(task, out var names) ? Find(dataDir, names) : null;
    }

    private static string? Find(string dataDir, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            string full = Path.Combine(dataDir, name);
            string file = Path.GetFileName(full);
            if (!file.Contains('*'))
            {
                if (File.Exists(full)) return full;
                continue;
            }
            string dir = Path.GetDirectoryName(full)!;
            if (!Directory.Exists(dir)) continue;
            var matches = Directory.GetFiles(dir, file).OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (matches.Count > 0) return matches[0];
        }
        return null;
    }
}
