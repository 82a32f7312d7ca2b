namespace LoraLab.Experiments.Demo;

/// <summary>What <c>loralab demo</c> runs: where it writes, how big, and (optionally) a real base model.</summary>
public sealed record DemoOptions
{
    /// <summary>Output directory: data/, base/, runs/, report/.</summary>
    public string OutDir { get; init; } = "demo-out";

    /// <summary>The ≤ 3-minute version: smaller data, fewer steps, fewer runs.</summary>
    public bool Quick { get; init; }

    /// <summary>A Hugging Face model directory to finetune instead of pretraining one (e.g. stories260K converted).</summary>
    public string? BaseDir { get; init; }

    /// <summary>With <see cref="BaseDir"/>: the source-domain held-out text (documents separated by &lt;|endoftext|&gt;).</summary>
    public string? SourceText { get; init; }

    public int Seed { get; init; } = 1234;

    /// <summary>Progress and diagnostics.</summary>
    public TextWriter Log { get; init; } = Console.Error;
}
