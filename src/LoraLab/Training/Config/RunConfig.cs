namespace LoraLab.Training.Config;

/// <summary>
/// A training run, read from YAML by <see cref="RunConfigLoader"/> (keys are snake_case; e.g. <c>global_train_batch_size</c>).
/// Durations are Composer strings (<c>1000ba</c>, <c>1ep</c>, <c>5000000tok</c>, <c>0.1dur</c>).
/// </summary>
public sealed class RunConfig
{
    /// <summary>The YAML file this came from (for messages); not a YAML key.</summary>
    [ConfigIgnore]
    public string SourceFile { get; set; } = "";

    public ModelSection Model { get; set; } = new();

    /// <summary><c>method</c>: lora (default) or full.</summary>
    public FinetuneMethod Method { get; set; } = FinetuneMethod.Lora;

    public LoraSection Lora { get; set; } = new();

    public OptimizerSection Optimizer { get; set; } = new();

    public SchedulerSection Scheduler { get; set; } = new();

    public DataSection Data { get; set; } = new();

    /// <summary><c>eval_data</c>: held-out data for the loss at each eval_interval (optional).</summary>
    public DataSection? EvalData { get; set; }

    /// <summary><c>global_train_batch_size</c>: samples per optimizer step (required).</summary>
    public int GlobalTrainBatchSize { get; set; }

    /// <summary><c>device_train_microbatch_size</c>: samples per forward/backward; must divide the global batch (default = global).</summary>
    public int? DeviceTrainMicrobatchSize { get; set; }

    /// <summary><c>max_duration</c> (required; not in dur).</summary>
    public Duration? MaxDuration { get; set; }

    /// <summary><c>eval_interval</c> (default 1ep).</summary>
    public Duration? EvalInterval { get; set; }

    /// <summary><c>save_interval</c> (default 1ep).</summary>
    public Duration? SaveInterval { get; set; }

    /// <summary><c>save_num_checkpoints_to_keep</c>: -1 keeps all (default, as Composer).</summary>
    public int SaveNumCheckpointsToKeep { get; set; } = -1;

    /// <summary>
    /// <c>run_dir</c>: the run directory (resolved config, metrics.jsonl, TensorBoard events, checkpoints/, final/).
    /// One of run_dir and save_folder is required; run_dir wins when both are given.
    /// </summary>
    public string? RunDir { get; set; }

    /// <summary><c>save_folder</c>: llm-foundry's name for the run directory (used when run_dir is not given).</summary>
    public string? SaveFolder { get; set; }

    /// <summary><c>resume</c>: continue from the latest checkpoint in the run directory (starts fresh when there is none).</summary>
    public bool Resume { get; set; }

    /// <summary><c>load_path</c>: a checkpoint directory (<c>…/checkpoints/step-000123</c>) to resume from.</summary>
    public string? LoadPath { get; set; }

    /// <summary><c>save_merged_model</c>: with LoRA, also write the merged model to <c>final-merged/</c> (default false).</summary>
    public bool SaveMergedModel { get; set; }

    /// <summary><c>seed</c> (default 17, as llm-foundry's examples).</summary>
    public long Seed { get; set; } = 17;

    /// <summary><c>precision</c>: fp32 (default), bf16 or amp_bf16.</summary>
    public Precision Precision { get; set; } = Precision.Fp32;

    /// <summary><c>device</c>: cpu (default), cuda or cuda:N (see <see cref="ComputeDevice"/>); <c>--device</c> overrides it.</summary>
    public string? Device { get; set; }

    /// <summary><c>activation_checkpointing</c>: recompute each decoder layer's forward in backward (less memory, ~1/3 more compute).</summary>
    public bool ActivationCheckpointing { get; set; }

    /// <summary><c>gradient_clipping</c>: null (default) = no clipping.</summary>
    public GradientClippingSection? GradientClipping { get; set; }

    /// <summary><c>full</c>: full-finetune regularisation.</summary>
    public FullFinetuneSection Full { get; set; } = new();

    /// <summary>The run directory: run_dir, else save_folder.</summary>
    public string RunDirectory => RunDir ?? SaveFolder ?? throw new LoraLabException($"{SourceFile}: run_dir: is required");

    /// <summary>The microbatch size with its default (the global batch).</summary>
    public int MicrobatchSize => DeviceTrainMicrobatchSize ?? GlobalTrainBatchSize;

    /// <summary>The weight decay the optimizer uses: full.weight_decay for a full finetune when given, else optimizer.weight_decay.</summary>
    public double EffectiveWeightDecay => Method == FinetuneMethod.Full && Full.WeightDecay is double wd ? wd : Optimizer.WeightDecay;
}
