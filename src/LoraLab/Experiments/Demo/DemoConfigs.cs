using System.Globalization;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Training.Config;

namespace LoraLab.Experiments.Demo;

/// <summary>The demo's run configs, written as the same YAML a user would give <c>loralab train</c> (kept in each run directory).</summary>
public static class DemoConfigs
{
    /// <summary>
    /// Pretraining of the random base model on <paramref name="texts"/> (the source stories, and the plan's small mix of
    /// word problems when it has one) with AdamW and a cosine schedule.
    /// </summary>
    public static RunConfig Pretrain(string modelDir, IReadOnlyList<string> texts, string runDir, DemoPlan plan, int seed) => RunConfigLoader.Parse(
        Inv($"""
        model:
          path: {Quote(modelDir)}
        method: full
        optimizer:
          name: adamw
          lr: 3.0e-3
          betas: [0.9, 0.95]
          weight_decay: 0.0
        scheduler:
          name: cosine_with_warmup
          t_warmup: {Math.Max(1, plan.PretrainSteps / 12)}ba
          alpha_f: 0.1
        data:
          regime: cpt
          paths: [{string.Join(", ", texts.Select(Quote))}]
          seq_len: {plan.SeqLen}
        """) + RunSettings(plan.PretrainSteps, plan.BatchSize, seed, runDir), Path.Combine(runDir, "demo-pretrain.yaml"));

    /// <summary>
    /// The finetuning sweeps' base run config (instruction finetuning on the word problems with DecoupledLionW, betas
    /// (0.9, 0.95), as the study): <paramref name="method"/> "full" or "lora" (all modules, the plan's small rank);
    /// the sweeps vary the learning rate, rank, target modules, regularisation and seed on top of it.
    /// </summary>
    public static string FinetuneYaml(string baseDir, string targetTrain, string method, DemoPlan plan)
    {
        string lora = method == "lora"
            ? Inv($"""
              lora:
                r: {plan.SmallRank}
                lora_dropout: 0.05
                target_modules: all
              """)
            : "";
        return Inv($"""
            model:
              path: {Quote(baseDir)}
            method: {method}
            {lora.Trim()}
            optimizer:
              name: decoupled_lionw
              lr: {plan.LoraLrs[0]:R}
              betas: [0.9, 0.95]
              weight_decay: 0
            scheduler:
              name: cosine_with_warmup
              t_warmup: {Math.Max(1, plan.FinetuneSteps / 10)}ba
              alpha_f: 0.1
            data:
              regime: ift
              paths: [{Quote(targetTrain)}]
              preset: gsm8k
              template: {Quote(ArithmeticProblems.IftTemplate)}
              seq_len: {plan.FinetuneSeqLen}
            """) + RunSettings(plan.FinetuneSteps, plan.FinetuneBatchSize, plan.Seeds[0], runDir: null);
    }

    // Batch, duration, checkpointing (one, at the end), clipping, seed and run directory (a sweep sets each point's).
    private static string RunSettings(int steps, int batch, int seed, string? runDir) => "\n" + Inv($"""
        global_train_batch_size: {batch}
        device_train_microbatch_size: {batch}
        max_duration: {steps}ba
        save_interval: {steps}ba
        save_num_checkpoints_to_keep: 1
        gradient_clipping:
          max_norm: 1.0
        seed: {seed}
        """) + (runDir is null ? "\n" : $"\nrun_dir: {Quote(runDir)}\n");

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
