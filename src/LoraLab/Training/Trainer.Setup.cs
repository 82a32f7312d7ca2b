using System.Globalization;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Peft;
using LoraLab.Training.Checkpointing;
using LoraLab.Training.Config;
using LoraLab.Training.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Training;

public sealed partial class Trainer
{
    /// <summary>Loads the model, tokenizer and data, builds the optimizer and schedule, and restores a checkpoint when resuming.</summary>
    public void Setup()
    {
        if (_model != null) throw new InvalidOperationException("Trainer.Setup() was already called");
        Directory.CreateDirectory(RunDirectory);
        string? resumeFrom = ResolveResume();
        TrainingCheckpoint.Prune(CheckpointsDirectory, -1); // removes temporaries left by a killed save
        LoadModel();
        Tokenizer = _options.Tokenizer ?? BaseModel.LoadTokenizer(Config.Model, Model.Config.VocabSize);
        _padId = Model.Config.PadTokenId ?? Tokenizer.EosId ?? 0;
        string cacheDir = Path.Combine(RunDirectory, "token_cache");
        _train = _options.TrainSource is { } given
            ? TrainingData.FromSource(given, "data")
            : TrainingData.Open(Config.Data, Tokenizer, cacheDir, "data");
        if (Config.EvalData != null) _eval = TrainingData.Open(Config.EvalData, Tokenizer, cacheDir, "eval_data");
        BuildLoopSettings();
        _optimizer = Config.Optimizer.Build(_trainable, Config.EffectiveWeightDecay);
        if (resumeFrom != null) LoadCheckpoint(resumeFrom);
        AtomicFile.WriteAllText(Path.Combine(RunDirectory, ResolvedConfigFile), RunConfigWriter.ToYaml(Config));
        _metrics = new MetricsWriter(RunDirectory, TotalSteps, Step, _options.Console);
        _metrics.Info(_train.Summary);
        if (_eval != null) _metrics.Info(_eval.Summary);
        _metrics.Info(string.Create(CultureInfo.InvariantCulture,
            $"{Config.Method.ToString().ToLowerInvariant()}: {_trainable.Sum(p => p.numel()):N0} trainable of {Model.parameters().Sum(p => p.numel()):N0} parameters; {TotalSteps} steps of {Config.GlobalTrainBatchSize} samples ({_accumulation} × {Config.MicrobatchSize}); run dir {RunDirectory}"));
        if (ResumedFrom != null) _metrics.Info($"resumed from {ResumedFrom} at step {Step}");
    }

    /// <summary>The checkpoint to resume from: load_path, else the latest one when resume is set; refuses to overwrite an earlier run.</summary>
    private string? ResolveResume()
    {
        if (Config.LoadPath is string load)
        {
            TrainingCheckpoint.ReadManifest(load);
            return load;
        }
        string? latest = TrainingCheckpoint.FindLatest(CheckpointsDirectory);
        if (Config.Resume)
        {
            if (latest == null) _options.Console?.WriteLine($"resume: no checkpoint in {CheckpointsDirectory}; starting from step 0");
            return latest;
        }
        if (latest != null)
            throw new LoraLabException($"{RunDirectory} already holds checkpoints of a run (latest {latest}); pass --resume (resume=true) to continue it, or choose another run_dir");
        return null;
    }

    private void LoadModel()
    {
        var dtype = Config.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        torch.random.manual_seed(Config.Seed); // LoRA A's initialisation
        LoraConfig? lora = null;
        if (Config.Method == FinetuneMethod.Lora)
            lora = new LoraConfig(Config.Lora.R, Config.Lora.ResolveTargetModules(out _)!, Config.Lora.EffectiveAlpha, Config.Lora.LoraDropout, Config.Lora.UseRslora);
        _model = BaseModel.Load(Config.Model, dtype, lora, Config.Method == FinetuneMethod.Full ? Config.Full.Dropout : 0.0);
        _options.ModelLoaded?.Invoke(_model);
        if (lora == null)
            foreach (var p in _model.parameters()) p.requires_grad = true;
        _model.train();
        var trainable = _model.named_parameters().Where(np => np.parameter.requires_grad).ToList();
        _trainable = trainable.Select(np => np.parameter).ToArray();
        _trainableNames = trainable.Select(np => np.name).ToArray();
    }

    private void BuildLoopSettings()
    {
        int global = Config.GlobalTrainBatchSize, micro = Config.MicrobatchSize;
        _accumulation = global / micro;
        _loader = new BatchLoader(TrainSource, micro, unchecked((ulong)Config.Seed), shuffle: true, _padId, "data");
        long perEpoch = TrainSource.Count / global;
        if (perEpoch == 0)
            throw new LoraLabException($"data: {TrainSource.Count} samples are fewer than one global batch of {global}; add data or lower global_train_batch_size");
        var ctx = new DurationContext((long)global * Config.Data.SeqLen, perEpoch, Config.MaxDuration);
        TotalSteps = Config.MaxDuration!.Value.ToWholeBatches(ctx);
        if (TotalSteps <= 0) throw new LoraLabException($"max_duration '{Config.MaxDuration}' is less than one step");
        _schedule = Config.Scheduler.Build(ctx);
        var oneEpoch = new Duration(1, DurationUnit.Epoch);
        _saveEvery = Math.Max(1, (Config.SaveInterval ?? oneEpoch).ToWholeBatches(ctx));
        _evalEvery = Math.Max(1, (Config.EvalInterval ?? oneEpoch).ToWholeBatches(ctx));
    }

    /// <summary>Restores weights (adapters only for LoRA), optimizer state, step, token count and data position.</summary>
    private void LoadCheckpoint(string dir)
    {
        var m = TrainingCheckpoint.ReadManifest(dir);
        string method = Config.Method.ToString().ToLowerInvariant();
        if (m.Method != method) throw new LoraLabException($"{dir}: checkpoint of a {m.Method} run, but this run's method is {method}");
        if (!m.TrainableParameters.SequenceEqual(_trainableNames))
            throw new LoraLabException($"{dir}: the checkpoint's trainable parameters ({m.TrainableParameters.Count}) differ from this model's ({_trainableNames.Length}); resume with the same model, method and LoRA settings");
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
}
