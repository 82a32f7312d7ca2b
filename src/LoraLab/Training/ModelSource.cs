using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tokenization;
using LoraLab.Training.Checkpointing;
using LoraLab.Training.Config;
using static TorchSharp.torch;

namespace LoraLab.Training;

/// <summary>
/// Whatever a <c>--model</c> path names, resolved to a base model plus, optionally, the weights that change it — the one
/// place that knows how to open a model. A path is:
/// <list type="bullet">
/// <item>a Hugging Face model directory (config.json + safetensors), optionally with a PEFT adapter given beside it;</item>
/// <item>a training checkpoint <c>RUN/checkpoints/step-N</c> (manifest.json): the base model and tokenizer come from
/// <c>RUN/run_config.yaml</c>'s <c>model:</c> section, and the checkpoint holds the LoRA adapters (LoRA) or every weight
/// (full finetuning), so checkpoints never store the base model again;</item>
/// <item>a PEFT adapter directory (adapter_config.json), e.g. a LoRA run's <c>final/</c>: the base comes from the run's
/// <c>run_config.yaml</c> beside it, else from the adapter's <c>base_model_name_or_path</c>.</item>
/// </list>
/// Relative paths in a run config are resolved against the current directory, as the trainer did.
/// </summary>
public sealed class ModelSource
{
    private ModelSource(string path, ModelSourceKind kind, ModelSection @base)
    {
        Path = path;
        Kind = kind;
        Base = @base;
    }

    /// <summary>The path as resolved (absolute).</summary>
    public string Path { get; }

    public ModelSourceKind Kind { get; }

    /// <summary>The base model: <c>path</c> (a model directory or llama2.c file) and an optional <c>tokenizer</c> file.</summary>
    public ModelSection Base { get; }

    /// <summary>The LoRA config of the adapters this source applies, or null (a plain model or a full finetune).</summary>
    public LoraConfig? Lora { get; private init; }

    /// <summary>The file holding this source's own weights: adapter tensors (LoRA) or every tensor (full checkpoint); null for a plain model.</summary>
    public string? WeightsFile { get; private init; }

    /// <summary>The directory holding those weights (the checkpoint or adapter directory), for identity hashes; null for a plain model.</summary>
    public string? WeightsDirectory { get; private init; }

    /// <summary>The training checkpoint's manifest (step, tokens seen), or null.</summary>
    public CheckpointManifest? Manifest { get; private init; }

    /// <summary>The run directory a checkpoint or a run's final/ belongs to, or null.</summary>
    public string? RunDirectory { get; private init; }

    /// <summary>"lora", "full" or "base" (no change to the base model).</summary>
    public string Method => Lora != null ? "lora" : Kind == ModelSourceKind.TrainingCheckpoint ? "full" : "base";

    /// <summary>Resolves <paramref name="path"/> (and an explicit <paramref name="adapterDir"/>, only with a model directory).</summary>
    public static ModelSource Resolve(string path, string? adapterDir = null)
    {
        path = System.IO.Path.GetFullPath(path);
        bool isDir = Directory.Exists(path);
        if (isDir && File.Exists(System.IO.Path.Combine(path, TrainingCheckpoint.ManifestFile)))
            return adapterDir is null ? FromCheckpoint(path) : throw AdapterWithRun(path);
        if (isDir && File.Exists(System.IO.Path.Combine(path, PeftAdapter.ConfigFile)))
            return adapterDir is null ? FromAdapterDirectory(path) : throw AdapterWithRun(path);
        if (!isDir && !BaseModel.IsLlama2cFile(path))
            throw new LoraLabException($"{path}: model not found. Give a Hugging Face model directory (config.json + model.safetensors), a run's " +
                "checkpoints/step-N or a LoRA run's final/.");
        var source = new ModelSource(path, ModelSourceKind.Model, new ModelSection { Path = path });
        if (adapterDir is null) return source;
        adapterDir = System.IO.Path.GetFullPath(adapterDir);
        var (lora, _) = PeftAdapter.ReadConfig(adapterDir);
        return new ModelSource(path, ModelSourceKind.Model, source.Base)
        {
            Lora = lora,
            WeightsFile = System.IO.Path.Combine(adapterDir, PeftAdapter.WeightsFile),
            WeightsDirectory = adapterDir,
        };
    }

    /// <summary>
    /// Every kept checkpoint of a run, oldest first. The trainer always checkpoints the last step, so the newest is the
    /// final model. A directory without checkpoints is an error.
    /// </summary>
    public static IReadOnlyList<ModelSource> RunCheckpoints(string runDir)
    {
        runDir = System.IO.Path.GetFullPath(runDir);
        if (!Directory.Exists(runDir)) throw new LoraLabException($"{runDir}: run directory not found; give the run_dir of a training run.");
        string dir = System.IO.Path.Combine(runDir, Trainer.CheckpointsDirName);
        var all = TrainingCheckpoint.List(dir);
        if (all.Count == 0)
            throw new LoraLabException($"{runDir}: no checkpoints ({Trainer.CheckpointsDirName}/step-NNNNNN); give a run directory that was trained " +
                "with save_interval.");
        return all.Select(c => FromCheckpoint(c.Dir)).ToList();
    }

    private static LoraLabException AdapterWithRun(string path) =>
        new($"{path} already names its own weights and base model; drop --adapter (it applies only to a plain model directory).");

    private static ModelSource FromCheckpoint(string dir)
    {
        var manifest = TrainingCheckpoint.ReadManifest(dir);
        string runDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(dir)!)!;
        var config = RunConfigOf(runDir, dir);
        var @base = CheckBase(config, runDir, dir);
        string weights = System.IO.Path.Combine(dir, TrainingCheckpoint.ModelFile);
        LoraConfig? lora = manifest.Method switch
        {
            "lora" => config.Lora.ToLoraConfig(),
            "full" => null,
            _ => throw new LoraLabException($"{dir}/{TrainingCheckpoint.ManifestFile}: method \"{manifest.Method}\" is neither lora nor full."),
        };
        return new ModelSource(dir, ModelSourceKind.TrainingCheckpoint, @base)
        {
            Lora = lora, WeightsFile = weights, WeightsDirectory = dir, Manifest = manifest, RunDirectory = runDir,
        };
    }

    private static ModelSource FromAdapterDirectory(string dir)
    {
        var (lora, baseName) = PeftAdapter.ReadConfig(dir);
        string runDir = System.IO.Path.GetDirectoryName(dir)!;
        ModelSection @base;
        bool inRun = File.Exists(System.IO.Path.Combine(runDir, Trainer.ResolvedConfigFile));
        if (inRun)
        {
            @base = CheckBase(RunConfigOf(runDir, dir), runDir, dir);
        }
        else
        {
            if (string.IsNullOrEmpty(baseName) || !(Directory.Exists(baseName) || File.Exists(baseName)))
                throw new LoraLabException($"{dir}/{PeftAdapter.ConfigFile}: base_model_name_or_path \"{baseName}\" is not a model on this machine; " +
                    $"give the base with --model BASE --adapter {dir}.");
            @base = new ModelSection { Path = System.IO.Path.GetFullPath(baseName) };
        }
        return new ModelSource(dir, ModelSourceKind.Adapter, @base)
        {
            Lora = lora,
            WeightsFile = System.IO.Path.Combine(dir, PeftAdapter.WeightsFile),
            WeightsDirectory = dir,
            RunDirectory = inRun ? runDir : null,
        };
    }

    private static RunConfig RunConfigOf(string runDir, string what)
    {
        string file = System.IO.Path.Combine(runDir, Trainer.ResolvedConfigFile);
        if (!File.Exists(file))
            throw new LoraLabException($"{what}: {file} is missing; a checkpoint finds its base model through the run's resolved config, so keep the " +
                "checkpoint inside its run directory.");
        return RunConfigLoader.Load(file);
    }

    private static ModelSection CheckBase(RunConfig config, string runDir, string what)
    {
        string file = System.IO.Path.Combine(runDir, Trainer.ResolvedConfigFile);
        string path = config.Model.Path!;
        if (!Directory.Exists(path) && !File.Exists(path))
            throw new LoraLabException($"{what}: its base model {path} (model.path in {file}) is not found (moved or deleted; relative paths are read " +
                "from the current directory); restore it or correct model.path there.");
        if (config.Model.Tokenizer is string tok && !File.Exists(tok))
            throw new LoraLabException($"{what}: its tokenizer {tok} (model.tokenizer in {file}) is not found; restore it or correct model.tokenizer there.");
        return new ModelSection
        {
            Path = System.IO.Path.GetFullPath(path),
            Tokenizer = config.Model.Tokenizer is string t ? System.IO.Path.GetFullPath(t) : null,
        };
    }

    /// <summary>Loads the model this source names, ready for inference (adapters applied, unmerged).</summary>
    public LlamaForCausalLM Load(ScalarType dtype = ScalarType.Float32)
    {
        var model = LoadBase(dtype);
        try
        {
            ApplyTo(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Loads the base model, built with this source's LoRA layers (fresh adapters) when it has any: the model that
    /// <see cref="ApplyTo"/> can then swap any checkpoint of the same run into.
    /// </summary>
    public LlamaForCausalLM LoadBase(ScalarType dtype = ScalarType.Float32)
    {
        var model = BaseModel.Load(Base, dtype, Lora, residualDropout: 0);
        model.eval();
        return model;
    }

    /// <summary>
    /// Copies this source's own weights into <paramref name="model"/> (built by <see cref="LoadBase"/> of a source with the
    /// same base and LoRA config): every adapter tensor for LoRA, every tensor for a full checkpoint; nothing for a plain model.
    /// </summary>
    public void ApplyTo(LlamaForCausalLM model)
    {
        if (WeightsFile is null) return;
        if (Lora != null && LoraModel.ConfigOf(model) is null)
            throw new InvalidOperationException("the model has no LoRA layers; build it with LoadBase of a LoRA source");
        using var weights = OpenOwnWeights()!;
        Func<string, bool>? optional = Lora != null ? k => !LoraModules.IsLoraParameter(k) : null;
        StateDictLoader.Load(model, weights.Names, k => weights.Read(k, model.DType), WeightsFile,
            ignore: k => k.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal), optional: optional);
    }

    /// <summary>The base model's weights, read by key (for analyses that compare against the base).</summary>
    public NamedWeights OpenBaseWeights() => NamedWeights.Open(Base.Path!);

    /// <summary>This source's own weights by model key (adapter factors or a full checkpoint's tensors); null for a plain model.</summary>
    public NamedWeights? OpenOwnWeights() => WeightsFile is null ? null : NamedWeights.OpenRenamed(WeightsFile, PeftAdapter.ModelKey);

    /// <summary>The tokenizer: the run's <c>model.tokenizer</c> if set, else the one in the base model's directory.</summary>
    public ITokenizer LoadTokenizer(int vocabSize) => BaseModel.LoadTokenizer(Base, vocabSize);

    /// <summary>Writes the tokenizer as Hugging Face files into a saved model directory; false when there is none.</summary>
    public bool WriteTokenizerFiles(string outDir, int vocabSize) => BaseModel.WriteTokenizerFiles(Base, outDir, vocabSize);
}
