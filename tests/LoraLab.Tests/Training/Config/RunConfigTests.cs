using LoraLab.Training;
using LoraLab.Training.Config;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Training.Config;

public class RunConfigTests
{
    private const string File = "run.yaml";

    internal const string Valid = """
        model:
          path: /models/llama
        method: lora
        lora:
          r: 8
          target_modules: [q_proj, v_proj, mlp]
        optimizer:
          name: decoupled_lionw
          lr: 2.0e-4
          betas: [0.9, 0.95]
          weight_decay: 1.0e-5
        scheduler:
          name: inv_sqrt_with_warmup
          t_warmup: 100ba
          t_scale: 100ba
          t_cooldown: 0.1dur
          alpha_f_decay: 0.0
        data:
          regime: ift
          paths: [train.jsonl]
          seq_len: 512
          preset: gsm8k
        global_train_batch_size: 64
        device_train_microbatch_size: 8
        max_duration: 2ep
        eval_interval: 500ba
        save_folder: /runs/a
        precision: bf16
        gradient_clipping:
          max_norm: 1.0
        """;

    private static RunConfig Parse(string yaml, params string[] overrides) => RunConfigLoader.Parse(yaml, File, overrides);

    private static string Error(string yaml, params string[] overrides) =>
        Assert.Throws<LoraLabException>(() => Parse(yaml, overrides)).Message;

    [Fact]
    public void BindsEveryFieldAndDefaults()
    {
        var c = Parse(Valid);
        Assert.Equal("/models/llama", c.Model.Path);
        Assert.Equal(FinetuneMethod.Lora, c.Method);
        Assert.Equal(8, c.Lora.R);
        Assert.Equal(16.0, c.Lora.EffectiveAlpha); // α = 2r when not given
        Assert.Equal(0.05, c.Lora.LoraDropout);
        Assert.Equal(["q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"], c.Lora.ResolveTargetModules(out _)!);
        Assert.Equal(OptimizerName.DecoupledLionw, c.Optimizer.Name);
        Assert.Equal(2e-4, c.Optimizer.Lr);
        Assert.Equal((0.9, 0.95), c.Optimizer.EffectiveBetas);
        Assert.Equal(SchedulerName.InvSqrtWithWarmup, c.Scheduler.Name);
        Assert.Equal(Duration.Parse("0.1dur"), c.Scheduler.TCooldown);
        Assert.Equal(DataRegime.Ift, c.Data.Regime);
        Assert.Equal(("question", "answer"), (c.Data.IftFormat().PromptField, c.Data.IftFormat().ResponseField));
        Assert.Equal(8, c.MicrobatchSize);
        Assert.Equal(Duration.Parse("2ep"), c.MaxDuration);
        Assert.Equal(Precision.Bf16, c.Precision);
        Assert.Equal(1.0, c.GradientClipping!.MaxNorm);
        Assert.Equal(17, c.Seed);
        Assert.Equal(-1, c.SaveNumCheckpointsToKeep);
        Assert.Null(c.EvalData);
        Assert.Equal(1e-5, c.EffectiveWeightDecay);
    }

    [Fact]
    public void SchedulerSectionBuildsTheScheduleInBatches()
    {
        var c = Parse(Valid);
        // 2ep at 100 batches/epoch = 200 batches; t_cooldown = int(0.1 × 100 × 2) = 20 batches.
        var ctx = new DurationContext(64 * 512, 100, c.MaxDuration);
        var s = (InverseSqrtWithWarmupSchedule)c.Scheduler.Build(ctx);
        Assert.Equal((100.0, 100.0, 20.0, 200.0), (s.TWarmup, s.TScale, s.TCooldown, s.TMax));
    }

    [Fact]
    public void OverridesAreParsedByTheTargetType()
    {
        var c = Parse(Valid, "optimizer.lr=1e-3", "lora.r=4", "lora.lora_alpha=32", "lora.target_modules=attention",
            "method=full", "full.weight_decay=0.1", "model.path=1e-4", "eval_data.regime=cpt", "eval_data.paths=[a.txt,b.txt]", "seed=7");
        Assert.Equal(1e-3, c.Optimizer.Lr);
        Assert.Equal(4, c.Lora.R);
        Assert.Equal(32.0, c.Lora.EffectiveAlpha);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], c.Lora.ResolveTargetModules(out _)!);
        Assert.Equal(FinetuneMethod.Full, c.Method);
        Assert.Equal(0.1, c.EffectiveWeightDecay);
        Assert.Equal("1e-4", c.Model.Path); // a string field keeps the text
        Assert.Equal(["a.txt", "b.txt"], c.EvalData!.Paths);
        Assert.Equal(7, c.Seed);
    }

    [Fact]
    public void UnknownKeyNamesTheClosestKnownKey()
    {
        string m = Error(Valid.Replace("  lr: 2.0e-4", "  lrr: 2.0e-4"));
        Assert.StartsWith("run.yaml:9: unknown key 'optimizer.lrr'; did you mean 'optimizer.lr'?", m);
        Assert.Contains("did you mean 'global_train_batch_size'", Error(Valid, "global_batch_size=8"));
        Assert.Contains("override 'lora.rank=8': unknown key 'lora.rank'; did you mean 'lora.r'?", Error(Valid, "lora.rank=8"));
    }

    [Theory]
    [InlineData("optimizer.lr=abc", "optimizer.lr: expected a number, got 'abc'")]
    [InlineData("lora.r=1.5", "lora.r: expected an integer, got '1.5'")]
    [InlineData("method=qlora", "method: expected one of lora, full, got 'qlora'")]
    [InlineData("max_duration=100", "max_duration: '100' has no unit")]
    [InlineData("lora.use_rslora=yes please", "lora.use_rslora: expected true or false")]
    [InlineData("optimizer=3", "optimizer: expected a mapping of optimizer.* keys, got '3'")]
    [InlineData("optimizer.betas=0.9", "optimizer.betas: expected a list of numbers")]
    public void WrongTypeNamesKeyAndFile(string @override, string expected)
    {
        string m = Error(Valid, @override);
        Assert.StartsWith($"run.yaml: override '{@override}': ", m);
        Assert.Contains(expected, m);
    }

    [Fact]
    public void WrongTypeInTheFileNamesTheLine()
    {
        Assert.StartsWith("run.yaml:5: lora.r: expected an integer, got 'eight'", Error(Valid.Replace("r: 8", "r: eight")));
    }

    [Theory]
    [InlineData("optimizer.lr=-1e-4", "optimizer.lr: must be a finite number > 0")]
    [InlineData("device_train_microbatch_size=7", "device_train_microbatch_size: 7 does not divide global_train_batch_size 64")]
    [InlineData("lora.r=0", "lora.r: must be > 0, got 0")]
    [InlineData("lora.target_modules=[q_proj,lm_head]", "unknown target module 'lm_head'")]
    [InlineData("lora.lora_dropout=1", "lora.lora_dropout: must be in [0, 1)")]
    [InlineData("optimizer.betas=[0.9]", "optimizer.betas: must be two numbers")]
    [InlineData("optimizer.eps=1e-8", "optimizer.eps: applies only to adamw")]
    [InlineData("scheduler.alpha_f=0.1", "scheduler.alpha_f: is not a field of inv_sqrt_with_warmup")]
    [InlineData("max_duration=0.5dur", "max_duration: cannot be in 'dur'")]
    [InlineData("data.regime=null", "data.regime: is required")]
    [InlineData("data.preset=mmlu", "data.preset: unknown preset 'mmlu'")]
    [InlineData("save_num_checkpoints_to_keep=0", "save_num_checkpoints_to_keep: must be -1 (keep all) or ≥ 1")]
    [InlineData("gradient_clipping.max_norm=0", "gradient_clipping.max_norm: must be > 0")]
    [InlineData("model.path=", "model.path: is required")]
    public void ImpossibleValuesAreRejectedBeforeRunning(string @override, string expected)
    {
        string m = Error(Valid, @override);
        Assert.StartsWith("run.yaml", m);
        Assert.Contains(expected, m);
    }

    [Fact]
    public void IftPackingIsAcceptedAndCptMustStayPacked()
    {
        Assert.True(Parse(Valid, "data.packing=true").Data.Packing);
        Assert.Contains("data.packing: cpt data is always packed", Error(Valid, "data.regime=cpt", "data.packing=false"));
    }

    [Fact]
    public void MissingRequiredKeysAndBadYaml()
    {
        Assert.Contains("run.yaml: run_dir: is required", Error(Valid.Replace("save_folder: /runs/a", "")));
        Assert.Contains("run.yaml: max_duration: is required", Error(Valid.Replace("max_duration: 2ep", "")));
        Assert.Contains("invalid YAML", Error("model: [unclosed"));
        Assert.Contains("not key.sub=value", Error(Valid, "optimizer.lr"));
        Assert.Contains("'model.path' is not a section", Error(Valid, "model.path.x=1"));
    }

    [Fact]
    public void AdamWDefaultsAndDecoupledOption()
    {
        var c = Parse(Valid.Replace("name: decoupled_lionw", "name: adamw").Replace("  betas: [0.9, 0.95]\n", ""), "optimizer.decoupled_weight_decay=true");
        Assert.Equal((0.9, 0.999), c.Optimizer.EffectiveBetas);
        Assert.True(c.Optimizer.DecoupledWeightDecay);
        Assert.Contains("applies only to adamw", Error(Valid, "optimizer.decoupled_weight_decay=true"));
        var p = new TorchSharp.Modules.Parameter(TorchSharp.torch.zeros(2));
        using var adam = (AdamWOptimizer)c.Optimizer.Build([p], c.EffectiveWeightDecay);
        Assert.Equal((AdamWDecayMode.Decoupled, 0.999, 1e-5), (adam.DecayMode, adam.Beta2, adam.WeightDecay));
        using var lion = (DecoupledLionW)Parse(Valid).Optimizer.Build([p], 0);
        Assert.Equal((2e-4, 0.95), (lion.InitialLr, lion.Beta2));
    }

    [Fact]
    public void LoadsFromAFile()
    {
        using var dir = new TempDir();
        string path = dir.File("cfg.yaml");
        System.IO.File.WriteAllText(path, Valid.Replace("r: 8", "r: -2"));
        var ex = Assert.Throws<LoraLabException>(() => RunConfigLoader.Load(path));
        Assert.StartsWith($"{path}:5: lora.r: must be > 0, got -2", ex.Message);
        Assert.Contains("config file not found", Assert.Throws<LoraLabException>(() => RunConfigLoader.Load(dir.File("none.yaml"))).Message);
    }
}
