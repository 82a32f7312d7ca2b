using LoraLab.Data;

namespace LoraLab.Training.Config;

/// <summary><c>data:</c> / <c>eval_data:</c> a training or evaluation data set.</summary>
public sealed class DataSection
{
    /// <summary><c>regime</c>: cpt or ift (required).</summary>
    public DataRegime? Regime { get; set; }

    /// <summary>
    /// <c>paths</c>: .txt / .jsonl / .parquet files (cpt) or .jsonl / .parquet files (ift); a directory or a file-name
    /// pattern (<c>train-*.parquet</c>) names several shards (see <see cref="DataFiles"/>). A single string is one path.
    /// </summary>
    public List<string> Paths { get; set; } = [];

    /// <summary><c>seq_len</c>: tokens per sample (default 2048).</summary>
    public int SeqLen { get; set; } = 2048;

    /// <summary><c>text_field</c>: the JSONL field / Parquet column with the document text (cpt; default "text").</summary>
    public string TextField { get; set; } = "text";

    /// <summary><c>preset</c>: ift field names: metamathqa, magicoder or gsm8k.</summary>
    public string? Preset { get; set; }

    /// <summary><c>prompt_field</c>: ift prompt field (overrides the preset's).</summary>
    public string? PromptField { get; set; }

    /// <summary><c>response_field</c>: ift response field (overrides the preset's).</summary>
    public string? ResponseField { get; set; }

    /// <summary><c>template</c>: ift prompt template with {prompt}, or <c>plain</c> (default, "{prompt}\n") or <c>alpaca</c>.</summary>
    public string? Template { get; set; }

    /// <summary>
    /// <c>packing</c>: cpt is always packed (true, default for cpt). ift: false (default) pads each example to the longest
    /// in its batch; true concatenates examples into full seq_len windows (<see cref="PackedIftDataset"/>: same loss
    /// tokens, no cross-example attention mask).
    /// </summary>
    public bool? Packing { get; set; }

    /// <summary><c>skip_bad_rows</c>: count and skip malformed JSONL rows (and null Parquet values) instead of failing.</summary>
    public bool SkipBadRows { get; set; }

    /// <summary><c>cache_dir</c>: where cpt token caches go (default: <c>{run directory}/token_cache</c>).</summary>
    public string? CacheDir { get; set; }

    /// <summary>The ift format this section describes.</summary>
    public IftFormat IftFormat(string what = "data") => Data.IftFormat.Create(Preset, PromptField, ResponseField, Template, what);
}
