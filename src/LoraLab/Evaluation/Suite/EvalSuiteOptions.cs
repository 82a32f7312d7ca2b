namespace LoraLab.Evaluation.Suite;

/// <summary>
/// Everything <see cref="EvalSuite"/> needs besides the model. Task files come from <see cref="TaskFiles"/> (explicit
/// TASK → path) or else from <see cref="DataDir"/> by the conventional names of <see cref="TaskFileResolver"/>.
/// </summary>
public sealed record EvalSuiteOptions
{
    public required IReadOnlyList<string> Tasks { get; init; }
    public string? DataDir { get; init; }
    public IReadOnlyDictionary<string, string> TaskFiles { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> FewShotFiles { get; init; } = new Dictionary<string, string>();
    public int? Limit { get; init; }
    public int? NumFewShot { get; init; }
    public int BatchSize { get; init; } = 8;
    public int Seed { get; init; } = 1234;
    /// <summary>Caps every generation request's max new tokens (GSM8K: 256, HumanEval: <see cref="HumanEvalMaxNewTokens"/>).</summary>
    public int? MaxGenTokens { get; init; }
    /// <summary>Score each multiple-choice context once (KV cache) instead of once per choice; same numbers.</summary>
    public bool ShareContext { get; init; } = true;

    /// <summary>HumanEval samples per problem (1 with <see cref="HumanEvalGreedy"/>).</summary>
    public int HumanEvalSamples { get; init; } = 50;
    public double HumanEvalTemperature { get; init; } = 0.2;
    public double HumanEvalTopP { get; init; } = 0.95;
    public bool HumanEvalGreedy { get; init; }
    public int HumanEvalMaxNewTokens { get; init; } = 512;
    public double HumanEvalTimeoutSeconds { get; init; } = 3.0;
    public int HumanEvalWorkers { get; init; }

    /// <summary>Perplexity: tokens of new targets per window (null = window − 1, back-to-back windows).</summary>
    public int? PerplexityStride { get; init; }
    /// <summary>Perplexity: documents are separated by this string when the text contains it.</summary>
    public string PerplexitySeparator { get; init; } = "<|endoftext|>";

    public void Validate()
    {
        if (Tasks.Count == 0) throw new LoraLabException("--tasks is empty; name at least one of " + string.Join(", ", TaskFileResolver.KnownTasks));
        foreach (var t in Tasks.Concat(TaskFiles.Keys).Concat(FewShotFiles.Keys))
            if (!TaskFileResolver.KnownTasks.Contains(t))
                throw new LoraLabException($"unknown task '{t}'; known tasks: {string.Join(", ", TaskFileResolver.KnownTasks)}");
        if (Limit is < 0) throw new LoraLabException($"--limit must be ≥ 0, got {Limit}");
        if (NumFewShot is < 0) throw new LoraLabException($"--num-fewshot must be ≥ 0, got {NumFewShot}");
        if (BatchSize < 1) throw new LoraLabException($"--batch-size must be ≥ 1, got {BatchSize}");
        if (MaxGenTokens is < 1) throw new LoraLabException($"--max-gen-tokens must be ≥ 1, got {MaxGenTokens}");
        if (HumanEvalSamples < 1) throw new LoraLabException($"--n must be ≥ 1, got {HumanEvalSamples}");
        if (!(HumanEvalTemperature >= 0)) throw new LoraLabException($"--temperature must be ≥ 0, got {HumanEvalTemperature}");
        if (!(HumanEvalTopP > 0 && HumanEvalTopP <= 1)) throw new LoraLabException($"--top-p must be in (0, 1], got {HumanEvalTopP}");
    }
}
