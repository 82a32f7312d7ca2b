using LoraLab.Data;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Training;

/// <summary>Things a program (or a test) can give the <see cref="Trainer"/> besides the <see cref="Config.RunConfig"/>.</summary>
public sealed class TrainerOptions
{
    /// <summary>Use this tokenizer instead of loading one from model.tokenizer or the model directory.</summary>
    public ITokenizer? Tokenizer { get; init; }

    /// <summary>
    /// Train on these samples instead of reading the <c>data:</c> section's files (which are then not opened; the section
    /// still gives <c>seq_len</c> for token durations). The samples are batched, shuffled and padded as file data is.
    /// </summary>
    public ITokenSampleSource? TrainSource { get; init; }

    /// <summary>
    /// Called once the model is loaded (LoRA adapters freshly initialised), before the optimizer takes its parameters;
    /// a program may set weights here in place (e.g. load given LoRA A and B with <c>PeftAdapter.LoadWeights</c>).
    /// </summary>
    public Action<LlamaForCausalLM>? ModelLoaded { get; init; }

    /// <summary>Where the progress line and messages go (default stderr; null = silent).</summary>
    public TextWriter? Console { get; init; } = System.Console.Error;

    /// <summary>Stop (as if killed) after this many completed steps, without the end-of-run checkpoint or final/.</summary>
    public long? StopAfterStep { get; init; }

    /// <summary>Called at the end of each step (after its eval and checkpoint) with the step number; tests use it to inject faults.</summary>
    public Action<Trainer, long>? AfterStep { get; init; }
}
