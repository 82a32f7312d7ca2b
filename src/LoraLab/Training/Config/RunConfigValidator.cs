using LoraLab.Peft;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Training.Config;

/// <summary>
/// Checks a bound <see cref="RunConfig"/> for impossible values before anything runs; the first problem is thrown
/// as a <see cref="LoraLabException"/> "file[:line]: key: problem; fix".
/// </summary>
internal static class RunConfigValidator
{
    public static void Validate(RunConfig c, YamlMappingNode root, ConfigBinder binder)
    {
        string file = c.SourceFile;
        string Where(params string[] path) => NodeOf(root, path) is YamlNode n ? binder.Where(n) : file;
        void Fail(string key, string problem) => throw new LoraLabException($"{Where(key.Split('.'))}: {key}: {problem}");

        if (string.IsNullOrWhiteSpace(c.Model.Path)) Fail("model.path", "is required (the base model's directory or file)");
        ComputeDevice.Parse(c.Device, $"{Where("device")}: device"); // cuda on a CPU build: one clear line, before anything runs

        if (c.Lora.R <= 0) Fail("lora.r", $"must be > 0, got {c.Lora.R}");
        if (c.Lora.LoraAlpha is double a && !(a > 0)) Fail("lora.lora_alpha", $"must be > 0, got {a}");
        if (!(c.Lora.LoraDropout >= 0 && c.Lora.LoraDropout < 1)) Fail("lora.lora_dropout", $"must be in [0, 1), got {c.Lora.LoraDropout}");
        if (c.Lora.TargetModules.Count == 0) Fail("lora.target_modules", "is empty; list modules or use attention, mlp or all");
        if (c.Lora.ResolveTargetModules(out string? unknown) == null)
            Fail("lora.target_modules", $"unknown target module '{unknown}'; use {string.Join(", ", LoraTargets.All)} or the presets " +
                $"{string.Join(", ", LoraTargets.Presets)}");

        var o = c.Optimizer;
        if (!(o.Lr > 0) || !double.IsFinite(o.Lr)) Fail("optimizer.lr", $"must be a finite number > 0, got {o.Lr}");
        if (o.Betas != null && (o.Betas.Count != 2 || o.Betas.Any(b => !(b >= 0 && b < 1))))
            Fail("optimizer.betas", $"must be two numbers in [0, 1), got [{string.Join(", ", o.Betas)}]");
        if (!(o.WeightDecay >= 0)) Fail("optimizer.weight_decay", $"must be ≥ 0, got {o.WeightDecay}");
        if (!(o.Eps >= 0)) Fail("optimizer.eps", $"must be ≥ 0, got {o.Eps}");
        if (o.Name == OptimizerName.DecoupledLionw && NodeOf(root, "optimizer", "decoupled_weight_decay") != null)
            Fail("optimizer.decoupled_weight_decay", "applies only to adamw (decoupled_lionw always decouples weight decay); remove it");
        if (o.Name == OptimizerName.DecoupledLionw && NodeOf(root, "optimizer", "eps") != null)
            Fail("optimizer.eps", "applies only to adamw (Lion has no eps); remove it");

        ValidateScheduler(c.Scheduler, root, binder, file);

        ValidateData(c.Data, "data", Fail);
        if (c.EvalData != null) ValidateData(c.EvalData, "eval_data", Fail);

        if (c.GlobalTrainBatchSize <= 0) Fail("global_train_batch_size", $"must be > 0, got {c.GlobalTrainBatchSize}");
        if (c.DeviceTrainMicrobatchSize is int mb)
        {
            if (mb <= 0) Fail("device_train_microbatch_size", $"must be > 0, got {mb}");
            if (c.GlobalTrainBatchSize % mb != 0)
                Fail("device_train_microbatch_size", $"{mb} does not divide global_train_batch_size {c.GlobalTrainBatchSize}; pick a divisor");
        }
        if (c.MaxDuration is not Duration max) Fail("max_duration", "is required (e.g. '1ep', '1000ba', '50000000tok')");
        else if (max.Unit == DurationUnit.Duration) Fail("max_duration", "cannot be in 'dur' (a fraction of itself); use ba, tok or ep");
        else if (max.Value <= 0) Fail("max_duration", $"must be > 0, got '{max}'");
        if (c.EvalInterval is Duration ei && ei.Value <= 0) Fail("eval_interval", $"must be > 0, got '{ei}'");
        if (c.SaveInterval is Duration si && si.Value <= 0) Fail("save_interval", $"must be > 0, got '{si}'");
        if (c.SaveNumCheckpointsToKeep < -1 || c.SaveNumCheckpointsToKeep == 0)
            Fail("save_num_checkpoints_to_keep", $"must be -1 (keep all) or ≥ 1, got {c.SaveNumCheckpointsToKeep}");
        if (string.IsNullOrWhiteSpace(c.RunDir) && string.IsNullOrWhiteSpace(c.SaveFolder))
            Fail("run_dir", "is required (the run directory for checkpoints, metrics and the final model; save_folder is accepted as its llm-foundry name)");
        if (c.SaveMergedModel && c.Method != FinetuneMethod.Lora) Fail("save_merged_model",
            "applies only to method: lora (a full finetune is saved as a model already)");
        if (c.GradientClipping is { } gc && !(gc.MaxNorm > 0)) Fail("gradient_clipping.max_norm", $"must be > 0, got {gc.MaxNorm}");
        if (c.Full.WeightDecay is double fwd && !(fwd >= 0)) Fail("full.weight_decay", $"must be ≥ 0, got {fwd}");
        if (!(c.Full.Dropout >= 0 && c.Full.Dropout < 1)) Fail("full.dropout", $"must be in [0, 1), got {c.Full.Dropout}");
    }

    private static void ValidateScheduler(SchedulerSection s, YamlMappingNode root, ConfigBinder binder, string file)
    {
        var allowed = SchedulerSection.FieldsOf(s.Name);
        if (NodeOf(root, "scheduler") is YamlMappingNode map)
        {
            foreach (var keyNode in map.Children.Keys)
            {
                string key = ((YamlScalarNode)keyNode).Value ?? "";
                if (!allowed.Contains(key))
                    throw new LoraLabException($"{binder.Where(keyNode)}: scheduler.{key}: is not a field of " +
                        $"{ConfigBinder.SnakeCase(s.Name.ToString())}; its fields are {string.Join(", ", allowed)}");
            }
        }
        if (s.Name == SchedulerName.InvSqrtWithWarmup && s.TScale == null)
            throw new LoraLabException($"{file}: scheduler.t_scale: is required for inv_sqrt_with_warmup (e.g. '100ba')");
        if (s.TScale is Duration ts && !(ts.Value > 0)) throw new LoraLabException($"{file}: scheduler.t_scale: must be > 0, got '{ts}'");
        if (s.TMax is Duration tm && !(tm.Value > 0)) throw new LoraLabException($"{file}: scheduler.t_max: must be > 0, got '{tm}'");
    }

    private static void ValidateData(DataSection d, string name, Action<string, string> fail)
    {
        if (d.Regime is not DataRegime regime)
        {
            fail($"{name}.regime", "is required: cpt (raw text) or ift (prompt/response pairs)");
            return;
        }
        if (d.Paths.Count == 0) fail($"{name}.paths", "is required: one or more data files");
        if (d.Paths.Any(string.IsNullOrWhiteSpace)) fail($"{name}.paths", "contains an empty path");
        if (d.SeqLen <= 0) fail($"{name}.seq_len", $"must be > 0, got {d.SeqLen}");
        if (regime == DataRegime.Cpt && d.Packing == false) fail($"{name}.packing",
            "cpt data is always packed into seq_len windows; remove packing or set it true");
        if (regime == DataRegime.Ift)
        {
            try
            {
                d.IftFormat(name);
            }
            catch (LoraLabException e)
            {
                var parts = e.Message.Split(": ", 2);
                fail(parts[0], parts.Length > 1 ? parts[1] : e.Message);
            }
        }
    }

    /// <summary>The value node at a key path, or null.</summary>
    public static YamlNode? NodeOf(YamlMappingNode root, params string[] path)
    {
        YamlNode node = root;
        foreach (string key in path)
        {
            if (node is not YamlMappingNode m || !m.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
            node = next;
        }
        return node;
    }
}
