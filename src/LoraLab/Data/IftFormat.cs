namespace LoraLab.Data;

/// <summary>
/// How instruction-finetuning rows are read and rendered: the JSONL field (Parquet column) holding the prompt, the field holding the
/// response, and the prompt template (must contain <c>{prompt}</c>). The text fed to the model is
/// <c>template.Replace("{prompt}", prompt)</c> followed directly by the response and EOS; the loss covers only the
/// response tokens and EOS.
/// </summary>
/// <param name="PromptField">JSONL field / Parquet column with the prompt.</param>
/// <param name="ResponseField">JSONL field / Parquet column with the response.</param>
/// <param name="Template">Prompt template containing "{prompt}".</param>
public sealed record IftFormat(string PromptField, string ResponseField, string Template)
{
    /// <summary>The default template: the prompt and a newline, no extra words (so the model's prior is not steered).</summary>
    public const string PlainTemplate = "{prompt}\n";

    /// <summary>The Alpaca template used by MetaMath (and torchtune's Alpaca data), selectable as <c>template: alpaca</c>.</summary>
    public const string AlpacaTemplate =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
        + "### Instruction:\n{prompt}\n\n### Response:\n";

    /// <summary>Field presets: metamathqa (query/response), magicoder (instruction/response), gsm8k (question/answer).</summary>
    public static IReadOnlyDictionary<string, (string Prompt, string Response)> Presets { get; } =
        new Dictionary<string, (string, string)>
        {
            ["metamathqa"] = ("query", "response"),
            ["magicoder"] = ("instruction", "response"),
            ["gsm8k"] = ("question", "answer"),
        };

    /// <summary>Resolves a template value: "plain" / null → <see cref="PlainTemplate"/>, "alpaca" → <see cref="AlpacaTemplate"/>,
    /// else the literal.</summary>
    public static string ResolveTemplate(string? template) => template switch
    {
        null or "" or "plain" => PlainTemplate,
        "alpaca" => AlpacaTemplate,
        _ => template,
    };

    /// <summary>Builds a format from a preset name and/or explicit fields (explicit fields win).</summary>
    public static IftFormat Create(string? preset, string? promptField, string? responseField, string? template, string what = "data")
    {
        string? p = promptField, r = responseField;
        if (!string.IsNullOrEmpty(preset))
        {
            if (!Presets.TryGetValue(preset, out var fields))
                throw new LoraLabException($"{what}.preset: unknown preset '{preset}'; known: {string.Join(", ", Presets.Keys)}");
            p ??= fields.Prompt;
            r ??= fields.Response;
        }
        if (string.IsNullOrEmpty(p) || string.IsNullOrEmpty(r))
            throw new LoraLabException($"{what}: give prompt_field and response_field, or a preset ({string.Join(", ", Presets.Keys)})");
        string t = ResolveTemplate(template);
        if (!t.Contains("{prompt}", StringComparison.Ordinal))
            throw new LoraLabException($"{what}.template: must contain '{{prompt}}' (or be 'plain' or 'alpaca'), got '{template}'");
        return new IftFormat(p, r, t);
    }

    public string RenderPrompt(string prompt) => Template.Replace("{prompt}", prompt, StringComparison.Ordinal);
}
