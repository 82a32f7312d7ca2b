using System.Globalization;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Training.Config;

namespace LoraLab.Experiments.Demo;

/// <summary>The demo's run configs, written as the same YAML a user would give <c>loralab train</c> (kept in each run directory).</summary>
public static class DemoConfigs
{
    /// <summary>Continued pretraining of the random base model on the source stories (AdamW, cosine schedule).</summary>
    public static RunConfig Pretrain(string modelDir, string sourceText, string runDir, DemoPlan plan, int seed) => RunConfigLoader.Parse(
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
          t_warmup: 20ba
          alpha_f: 0.1
        data:
          regime: cpt
          paths: [{Quote(sourceText)}]
          seq_len: {plan.SeqLen}
        """) + RunSettings(plan.PretrainSteps, plan, seed, runDir), Path.Combine(runDir, "demo-pretrain.yaml"));

    /// <summary>Instruction finetuning on the arithmetic problems (DecoupledLionW, betas (0.9, 0.95), as the study).</summary>
    public static RunConfig Finetune(string baseDir, string targetTrain, string runDir, string method, int? rank, double lr, DemoPlan plan, int seed)
    {
        string lora = method == "lora"
            ? Inv($"""
              lora:
                r: {rank}
                lora_dropout: 0.05
                target_modules: all
              """)
            : "";
        return RunConfigLoader.Parse(Inv($"""
            model:
              path: {Quote(baseDir)}
            method: {method}
            {lora.Trim()}
            optimizer:
              name: decoupled_lionw
              lr: {lr:R}
              betas: [0.9, 0.95]
              weight_decay: 0
            scheduler:
              name: cosine_with_warmup
              t_warmup: 10ba
              alpha_f: 0.1
            data:
              regime: ift
              paths: [{Quote(targetTrain)}]
              preset: gsm8k
              template: {Quote(ArithmeticProblems.IftTemplate)}
              seq_len: {plan.SeqLen}
            """) + RunSettings(plan.FinetuneSteps, plan, seed, runDir), Path.Combine(runDir, "demo-finetune.yaml"));
    }

    // Batch, duration, checkpointing (one, at the end), clipping, seed and run directory: the same for every demo run.
    private static string RunSettings(int steps, DemoPlan plan, int seed, string runDir) => "\n" + Inv($"""
        global_train_batch_size: {plan.BatchSize}
        device_train_microbatch_size: {plan.BatchSize}
        max_duration: {steps}ba
        save_interval: {steps}ba
        save_num_checkpoints_to_keep: 1
        gradient_clipping:
          max_norm: 1.0
        seed: {seed}
        run_dir: {Quote(runDir)}
        """);

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
