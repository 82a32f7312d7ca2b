using LoraLab.Data;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using LoraLab.Training.Config;
using LoraLab.Training.Logging;
using TorchSharp.Modules;

namespace LoraLab.Training;

/// <summary>
/// One trainer for LoRA and full finetuning, with llm-foundry / torchtune semantics. <see cref="Run"/> =
/// <see cref="Setup"/> (model, tokenizer, data, optimizer, schedule; resume) → <see cref="Train"/> (the loop, eval and
/// checkpoints) → <see cref="SaveFinal"/> (final/). The run directory gets <c>run_config.yaml</c> (resolved config),
/// <c>metrics.jsonl</c>, <c>tensorboard/</c>, <c>checkpoints/step-NNNNNN/</c> and <c>final/</c>.
/// <para>
/// A step: global batch = global_train_batch_size samples drawn as (global / micro) micro-batches; the loss is
/// Σ token losses / Σ loss tokens of the global batch (every token weighs the same); gradients are clipped by their
/// global norm when configured; lr = optimizer.lr × α(step) from the schedule. Dropout draws from torch's generator,
/// reseeded before every micro-batch from (seed, step, micro-batch), so a resumed run is bitwise identical on CPU.
/// </para>
/// </summary>
public sealed partial class Trainer : IDisposable
{
    public const string CheckpointsDirName = "checkpoints";
    public const string FinalDirName = "final";
    public const string MergedDirName = "final-merged";
    public const string ResolvedConfigFile = "run_config.yaml";

    private readonly TrainerOptions _options;
    private LlamaForCausalLM? _model;
    private OptimizerBase? _optimizer;
    private LrSchedule? _schedule;
    private TrainingData? _train;
    private TrainingData? _eval;
    private BatchLoader? _loader;
    private MetricsWriter? _metrics;
    private Parameter[] _trainable = [];
    private string[] _trainableNames = [];
    private int _accumulation;
    private long _saveEvery;
    private long _evalEvery;
    private long _padId;

    public Trainer(RunConfig config, TrainerOptions? options = null)
    {
        Config = config;
        _options = options ?? new TrainerOptions();
        RunDirectory = Path.GetFullPath(config.RunDirectory);
    }

    public RunConfig Config { get; }

    public string RunDirectory { get; }

    public string CheckpointsDirectory => Path.Combine(RunDirectory, CheckpointsDirName);

    public LlamaForCausalLM Model => _model ?? throw NotSetUp();

    public OptimizerBase Optimizer => _optimizer ?? throw NotSetUp();

    public LrSchedule Schedule => _schedule ?? throw NotSetUp();

    public ITokenizer Tokenizer { get; private set; } = null!;

    /// <summary>The training samples.</summary>
    public ITokenSampleSource TrainSource => _train?.Source ?? throw NotSetUp();

    /// <summary>Names of the parameters the optimizer updates, in its order.</summary>
    public IReadOnlyList<string> TrainableParameterNames => _trainableNames;

    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; private set; }

    /// <summary>Steps of the whole run (max_duration in batches).</summary>
    public long TotalSteps { get; private set; }

    public long TokensSeen { get; private set; }

    public double? LastLoss { get; private set; }

    public double? LastEvalLoss { get; private set; }

    /// <summary>The checkpoint this run resumed from, or null.</summary>
    public string? ResumedFrom { get; private set; }

    /// <summary>Setup, train, and (when training reached max_duration) save final/.</summary>
    public TrainResult Run()
    {
        Setup();
        bool completed = Train();
        string? final = completed ? SaveFinal() : null;
        return new TrainResult(Step, TotalSteps, TokensSeen, LastLoss, LastEvalLoss, RunDirectory, final);
    }

    private static InvalidOperationException NotSetUp() => new("call Trainer.Setup() first");

    public void Dispose()
    {
        _metrics?.Dispose();
        _optimizer?.Dispose();
        _model?.Dispose();
        _train?.Dispose();
        _eval?.Dispose();
    }
}
