using LoraLab.Tokenization;

namespace LoraLab.Training;

/// <summary>Things a program (or a test) can give the <see cref="Trainer"/> besides the <see cref="Config.RunConfig"/>.</summary>
public sealed class TrainerOptions
{
    /// <summary>Use this tokenizer instead of loading one from model.tokenizer or the model directory.</summary>
    public ITokenizer? Tokenizer { get; init; }

    /// <summary>Where the progress line and messages go (default stderr; null = silent).</summary>
    public TextWriter? Console { get; init; } = System.Console.Error;

    /// <summary>Stop (as if killed) after this many completed steps, without the end-of-run checkpoint or final/.</summary>
    public long? StopAfterStep { get; init; }

    /// <summary>Called at the end of each step (after its eval and checkpoint) with the step number; tests use it to inject faults.</summary>
    public Action<Trainer, long>? AfterStep { get; init; }
}
