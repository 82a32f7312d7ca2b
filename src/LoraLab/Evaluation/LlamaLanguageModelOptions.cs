namespace LoraLab.Evaluation;

/// <summary>
/// How <see cref="LlamaLanguageModel"/> runs requests.
/// </summary>
/// <param name="BatchSize">Sequences per forward pass (log-likelihood rows or generation prompts).</param>
/// <param name="MaxLength">The model's window in tokens; null = the config's max_position_embeddings (lm-eval's default).</param>
/// <param name="ShareContext">
/// Score requests that share a context by running the context once into a KV cache and every continuation from a
/// copy of it (the same numbers as scoring each pair alone, less compute). false = lm-eval's per-pair scoring.
/// </param>
/// <param name="AddBos">Prepend BOS to every encoded context / prompt (what the Llama tokenizers do).</param>
/// <param name="MaxNewTokensCap">If set, generation requests ask for at most this many new tokens (a quick-run knob; recorded in the settings).</param>
public sealed record LlamaLanguageModelOptions(
    int BatchSize = 8,
    int? MaxLength = null,
    bool ShareContext = true,
    bool AddBos = true,
    int? MaxNewTokensCap = null)
{
    public void Validate()
    {
        if (BatchSize < 1) throw new LoraLabException($"--batch-size must be ≥ 1, got {BatchSize}");
        if (MaxLength is < 2) throw new LoraLabException($"the model's max length must be ≥ 2 tokens, got {MaxLength}");
        if (MaxNewTokensCap is < 1) throw new LoraLabException($"--max-gen-tokens must be ≥ 1, got {MaxNewTokensCap}");
    }
}
