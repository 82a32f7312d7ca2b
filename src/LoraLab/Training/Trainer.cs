using System.Diagnostics;
using System.Globalization;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tokenization;
using LoraLab.Training.Checkpointing;
using LoraLab.Training.Config;
using LoraLab.Training.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Training;

/// <summary>
/// The training recipe for LoRA and full finetuning, with llm-foundry / torchtune semantics, read top to bottom:
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
public sealed class Trainer : IDisposable
{
    public const string CheckpointsDirName = "checkpoints";
    public const string FinalDirName = "final";
    public const string MergedDirName = "final-merged";
    public const string ResolvedConfigFile = "run_config.yaml";

    private readonly TrainerOptions _options;
    // Set by Setup, in this order, and read by the loop and the savers.
    private LlamaForCausalLM? _model;
    private Parameter[] _trainable = [];
    private string[] _trainableNames = [];
    private long _padId;
    private TrainingData? _train;
    private TrainingData? _eval;
    private BatchLoader? _loader;
    private int _accumulation;
    private LrSchedule? _schedule;
    private long _saveEvery;
    private long _evalEvery;
    private OptimizerBase? _optimizer;
    private MetricsWriter? _metrics;

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

    /// <summary>"lora" or "full": the method as checkpoint manifests and the log name it.</summary>
    private string MethodName => Config.Method.ToString().ToLowerInvariant();

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

    // --- setup ------------------------------------------------------------------------------------------------------

    /// <summary>Loads the model, tokenizer and data, builds the optimizer and schedule, and restores a checkpoint when resuming.</summary>
    public void Setup()
    {
        if (_model != null) throw new InvalidOperationException("Trainer.Setup() was already called");
        RunConfigPaths.MakeAbsolute(Config); // run_config.yaml then names the same files from any directory
        Directory.CreateDirectory(RunDirectory);
        string? resumeFrom = ResolveResume();
        TrainingCheckpoint.RemoveTemporaries(RunDirectory); // left by a killed save of a checkpoint, final/ or a run file

        // model: LoRA trains the adapters only, full finetuning every parameter
        var dtype = Config.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        torch.random.manual_seed(Config.Seed); // LoRA A's initialisation
        var lora = Config.Method == FinetuneMethod.Lora ? Config.Lora.ToLoraConfig() : null;
        _model = BaseModel.Load(Config.Model, dtype, lora, Config.Method == FinetuneMethod.Full ? Config.Full.Dropout : 0.0);
        _options.ModelLoaded?.Invoke(_model);
        if (lora == null)
            foreach (var p in _model.parameters()) p.requires_grad = true;
        var device = ComputeDevice.Parse(Config.Device, "device");
        if (device.type != DeviceType.CPU) _model.to(device);
        _model.Model.AutocastDType = Config.Precision == Precision.AmpBf16 ? ScalarType.BFloat16 : null; // float32 master weights
        _model.Model.ActivationCheckpointing = Config.ActivationCheckpointing;
        _model.train();
        var trainable = _model.named_parameters().Where(np => np.parameter.requires_grad).ToList();
        _trainable = trainable.Select(np => np.parameter).ToArray();
        _trainableNames = trainable.Select(np => np.name).ToArray();

        // tokenizer and data
        Tokenizer = _options.Tokenizer ?? BaseModel.LoadTokenizer(Config.Model, Model.Config.VocabSize);
        _padId = Model.Config.PadTokenId ?? Tokenizer.EosId ?? 0;
        string cacheDir = Path.Combine(RunDirectory, "token_cache");
        _train = _options.TrainSource is { } given
            ? TrainingData.FromSource(given, "data")
            : TrainingData.Open(Config.Data, Tokenizer, cacheDir, "data");
        if (Config.EvalData != null) _eval = TrainingData.Open(Config.EvalData, Tokenizer, cacheDir, "eval_data");

        // loop settings: batches, duration, schedule, intervals
        int global = Config.GlobalTrainBatchSize, micro = Config.MicrobatchSize;
        _accumulation = global / micro;
        _loader = new BatchLoader(TrainSource, micro, unchecked((ulong)Config.Seed), shuffle: true, _padId, "data");
        long perEpoch = TrainSource.Count / global;
        if (perEpoch == 0)
            throw new LoraLabException(
                $"data: {TrainSource.Count} samples are fewer than one global batch of {global}; add data or lower global_train_batch_size");
        var ctx = new DurationContext((long)global * Config.Data.SeqLen, perEpoch, Config.MaxDuration);
        TotalSteps = Config.MaxDuration!.Value.ToWholeBatches(ctx);
        if (TotalSteps <= 0) throw new LoraLabException($"max_duration '{Config.MaxDuration}' is less than one step");
        _schedule = Config.Scheduler.Build(ctx);
        var oneEpoch = new Duration(1, DurationUnit.Epoch);
        _saveEvery = Math.Max(1, (Config.SaveInterval ?? oneEpoch).ToWholeBatches(ctx));
        _evalEvery = Math.Max(1, (Config.EvalInterval ?? oneEpoch).ToWholeBatches(ctx));

        // optimizer, resume, run files
        _optimizer = Config.Optimizer.Build(_trainable, Config.EffectiveWeightDecay);
        if (resumeFrom != null) LoadCheckpoint(resumeFrom);
        AtomicFile.WriteAllText(Path.Combine(RunDirectory, ResolvedConfigFile), RunConfigWriter.ToYaml(Config));
        _metrics = new MetricsWriter(RunDirectory, TotalSteps, Step, _options.Console);
        _metrics.Info(_train.Summary);
        if (_eval != null) _metrics.Info(_eval.Summary);
        foreach (string warning in TrainingData.PositionLimitWarnings(Config, Model.Config)) _metrics.Info(warning);
        long trainableCount = _trainable.Sum(p => p.numel()), total = Model.parameters().Sum(p => p.numel());
        _metrics.Info(string.Create(CultureInfo.InvariantCulture,
            $"{MethodName}: {trainableCount:N0} trainable of {total:N0} parameters; "
            + $"{TotalSteps} steps of {global} samples ({_accumulation} × {micro}); run dir {RunDirectory}"));
        if (ResumedFrom != null) _metrics.Info($"resumed from {ResumedFrom} at step {Step}");
    }

    /// <summary>
    /// The checkpoint to start from: with resume, the run directory's latest (an interrupted run, a cooldown included,
    /// continues where it stopped); else load_path, which starts a new run in a fresh run directory from another run's
    /// checkpoint (weights, optimizer, step, tokens and data position; the schedule follows this run's max_duration —
    /// a cooldown from a checkpoint). Refuses to overwrite an earlier run.
    /// </summary>
    private string? ResolveResume()
    {
        if (Config.LoadPath is string own && Path.GetFullPath(Path.Combine(own, "..", "..")).TrimEnd('/') == Path.GetFullPath(RunDirectory).TrimEnd('/'))
            throw new LoraLabException($"run_dir {RunDirectory} is the run that {own} belongs to; a run from a checkpoint writes a new run directory: " +
                "add run_dir=…");
        string? latest = TrainingCheckpoint.FindLatest(CheckpointsDirectory);
        if (Config.Resume && latest != null) return latest;
        if (Config.LoadPath is string load)
        {
            TrainingCheckpoint.ReadManifest(load);
            if (latest != null)
                throw new LoraLabException($"{RunDirectory} already holds checkpoints (latest {latest}); a run started from load_path {load} needs a " +
                    "fresh run_dir, or pass --resume to continue this one");
            return load;
        }
        if (Config.Resume)
        {
            _options.Console?.WriteLine($"resume: no checkpoint in {CheckpointsDirectory}; starting from step 0");
            return null;
        }
        if (latest != null)
            throw new LoraLabException($"{RunDirectory} already holds checkpoints of a run (latest {latest}); "
                + "pass --resume (resume=true) to continue it, or choose another run_dir");
        return null;
    }

    /// <summary>Restores weights (adapters only for LoRA), optimizer state, step, token count and data position.</summary>
    private void LoadCheckpoint(string dir)
    {
        var m = TrainingCheckpoint.ReadManifest(dir);
        if (m.Method != MethodName) throw new LoraLabException($"{dir}: checkpoint of a {m.Method} run, but this run's method is {MethodName}");
        if (!m.TrainableParameters.SequenceEqual(_trainableNames))
            throw new LoraLabException($"{dir}: the checkpoint's trainable parameters ({m.TrainableParameters.Count}) differ from this model's "
                + $"({_trainableNames.Length}); resume with the same model, method and LoRA settings");
        if (m.Step > TotalSteps)
            throw new LoraLabException($"{dir}: checkpoint at step {m.Step} is past max_duration ({TotalSteps} steps); raise max_duration");
        string modelPath = Path.Combine(dir, TrainingCheckpoint.ModelFile);
        using (var reader = SafetensorsReader.Open(modelPath))
        {
            Func<string, bool>? optional = Config.Method == FinetuneMethod.Lora ? k => !LoraModules.IsLoraParameter(k) : null;
            StateDictLoader.Load(Model, reader.Tensors.Select(t => t.Name), n => reader.ReadTensor(n, Model.DType), modelPath, optional: optional);
        }
        using (var state = TrainingCheckpoint.ReadOptimizer(dir, m)) Optimizer.LoadState(state, Path.Combine(dir, TrainingCheckpoint.OptimizerFile));
        Step = m.Step;
        TokensSeen = m.TokensSeen;
        LastLoss = m.Loss;
        _loader!.Position = new DataPosition(m.DataEpoch, m.DataIndex);
        ResumedFrom = dir;
    }

    // --- loop -------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs steps until max_duration (true) or until <see cref="TrainerOptions.StopAfterStep"/> (false). Evaluates every
    /// eval_interval and at the end; checkpoints every save_interval and at the end.
    /// </summary>
    public bool Train()
    {
        _ = Model;
        while (Step < TotalSteps)
        {
            TrainStep();
            bool last = Step == TotalSteps;
            if (_eval != null && (Step % _evalEvery == 0 || last)) Evaluate();
            if (Step % _saveEvery == 0 || last) SaveCheckpoint();
            _options.AfterStep?.Invoke(this, Step);
            if (!last && _options.StopAfterStep is long stop && Step >= stop) return false;
        }
        return true;
    }

    /// <summary>One optimizer step over one global batch, logged to metrics.</summary>
    private void TrainStep()
    {
        var clock = Stopwatch.StartNew();
        long number = Step + 1;
        double lr = Config.Optimizer.Lr * Schedule.Alpha(Step);
        Optimizer.Lr = lr;
        var batches = new Batch[_accumulation];
        for (int k = 0; k < batches.Length; k++) batches[k] = _loader!.Next();
        try
        {
            long lossTokens = batches.Sum(b => b.LossTokens);
            long realTokens = batches.Sum(b => b.RealTokens);
            double lossSum = 0;
            for (int k = 0; k < batches.Length; k++)
            {
                using var scope = NewDisposeScope();
                torch.random.manual_seed(MicroBatchSeed(Config.Seed, Step, k)); // dropout masks depend only on (seed, step, k)
                var sum = TokenLoss.Sum(Model, batches[k]);
                lossSum += sum.item<float>();
                if (lossTokens > 0)
                {
                    using Scalar tokens = lossTokens.ToScalar();
                    sum.div(tokens).backward(); // Σ token losses / loss tokens of the GLOBAL batch
                }
            }
            double loss = lossTokens > 0 ? lossSum / lossTokens : 0.0;
            double gradNorm = GradientNorm.Clip(_trainable, Config.GradientClipping);
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
            {
                Optimizer.ZeroGrad();
                throw TrainingDivergedException.At(number, loss, gradNorm, TrainingCheckpoint.FindLatest(CheckpointsDirectory));
            }
            Optimizer.Step();
            Optimizer.ZeroGrad();
            StepMemory.ReleaseAfterStep();
            Step = number;
            TokensSeen += realTokens;
            LastLoss = loss;
            double seconds = clock.Elapsed.TotalSeconds;
            double memoryMb = Environment.WorkingSet / (1024.0 * 1024.0);
            _metrics!.LogTrain(new StepMetrics(Step, loss, lr, gradNorm, realTokens / Math.Max(seconds, 1e-9), TokensSeen, lossTokens, memoryMb, seconds));
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    /// <summary>The eval loss (mean over the eval set's loss tokens), logged at the current step.</summary>
    public double Evaluate()
    {
        var eval = _eval ?? throw new LoraLabException("no eval_data section in the config");
        var (loss, tokens) = TokenLoss.Evaluate(Model, eval.Source, Config.MicrobatchSize, _padId);
        LastEvalLoss = loss;
        _metrics!.LogEval(Step, loss, tokens);
        return loss;
    }

    /// <summary>The torch seed of micro-batch <paramref name="micro"/> of the step after <paramref name="step"/> completed steps.</summary>
    public static long MicroBatchSeed(long seed, long step, int micro)
    {
        ulong mixed = unchecked((ulong)seed ^ ((ulong)(step + 1) * 0x9E3779B97F4A7C15UL) ^ ((ulong)(micro + 1) * 0xC2B2AE3D27D4EB4FUL));
        return (long)(new SplitMix64(mixed).NextUInt64() >> 1);
    }

    // --- save -------------------------------------------------------------------------------------------------------

    /// <summary>Writes checkpoints/step-NNNNNN/ now and prunes old ones (save_num_checkpoints_to_keep).</summary>
    public string SaveCheckpoint()
    {
        using var scope = NewDisposeScope();
        var tensors = Config.Method == FinetuneMethod.Lora
            ? _trainableNames.Zip(_trainable, (n, p) => new KeyValuePair<string, Tensor>(n, p.detach().contiguous())).ToList()
            : Model.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.detach().contiguous())).ToList();
        using var optimizer = Optimizer.SaveState();
        var position = _loader!.Position;
        var manifest = new CheckpointManifest
        {
            Method = MethodName,
            Step = Step,
            TokensSeen = TokensSeen,
            DataEpoch = position.Epoch,
            DataIndex = position.Index,
            Seed = Config.Seed,
            OptimizerName = optimizer.OptimizerName,
            OptimizerStep = optimizer.Step,
            Lr = optimizer.Lr,
            InitialLr = optimizer.InitialLr,
            TrainableParameters = _trainableNames,
            Dtype = LlamaCheckpoint.DtypeName(Model.DType),
            MaxDuration = Config.MaxDuration?.ToString() ?? "",
            Loss = LastLoss,
            CreatedUtc = DateTime.UtcNow.ToString("o"),
        };
        string dir = TrainingCheckpoint.Save(CheckpointsDirectory, manifest, tensors, optimizer);
        TrainingCheckpoint.Prune(CheckpointsDirectory, Config.SaveNumCheckpointsToKeep);
        _metrics?.Info($"step {Step}: checkpoint {dir}");
        return dir;
    }

    /// <summary>
    /// Writes final/: for LoRA a PEFT adapter (and, with save_merged_model, the merged model in final-merged/); for full
    /// finetuning a Hugging Face model directory with the tokenizer files. Each directory is written atomically.
    /// </summary>
    public string SaveFinal()
    {
        string final = Path.Combine(RunDirectory, FinalDirName);
        string baseName = Config.Model.Path ?? "";
        if (Config.Method == FinetuneMethod.Lora)
        {
            AtomicDirectory.Write(final, tmp => PeftAdapter.Save(Model, tmp, baseName));
            if (Config.SaveMergedModel) AtomicDirectory.Write(Path.Combine(RunDirectory, MergedDirName), SaveModelDirectory);
        }
        else
        {
            AtomicDirectory.Write(final, SaveModelDirectory);
        }
        _metrics?.Info($"final {(Config.Method == FinetuneMethod.Lora ? "adapter" : "model")}: {final}");
        return final;
    }

    /// <summary>A Hugging Face model directory (a LoRA model merged) with the run's tokenizer files.</summary>
    private void SaveModelDirectory(string dir)
    {
        if (Config.Method == FinetuneMethod.Lora) LoraModel.SaveMerged(Model, dir);
        else LlamaCheckpoint.Save(Model, dir);
        if (!BaseModel.WriteTokenizerFiles(Config.Model, dir, Model.Config.VocabSize))
            _metrics?.Info($"note: no tokenizer files to copy into {dir}");
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
