namespace LoraLab.Experiments.Demo;

/// <summary>What <c>loralab demo</c> runs: where it writes, how big, and (optionally) a real base model.</summary>
public sealed record DemoOptions
{
    /// <summary>Output directory: data/, base/, runs/, report/.</summary>
    public string OutDir { get; init; } = "demo-out";

    /// <summary>The ≤ 3-minute version (2 quiet cores): smaller data, fewer steps, fewer runs.</summary>
    public bool Quick { get; init; }

    /// <summary>A Hugging Face model directory to finetune instead of pretraining one (e.g. stories260K converted).</summary>
    public string? BaseDir { get; init; }

    /// <summary>With <see cref="BaseDir"/>: the source-domain held-out text (documents separated by &lt;|endoftext|&gt;).</summary>
    public string? SourceText { get; init; }

    /// <summary>Seed of the data, the base model and the first finetuning run; further seeds are Seed+1, Seed+2, ….</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Finetuning seeds per configuration (null: 1 for --quick, 2 for the full demo).</summary>
    public int? Seeds { get; init; }

    /// <summary>Progress and diagnostics.</summary>
    public TextWriter Log { get; init; } = Console.Error;
}
