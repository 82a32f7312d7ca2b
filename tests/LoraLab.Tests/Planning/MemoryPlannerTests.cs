using LoraLab.Models.Llama;
using LoraLab.Planning;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Planning;

/// <summary>
/// The planner against peak resident memory measured by the training benchmark (bench/LoraLab.Bench, the trainer's loss
/// path, AdamW, LoRA r = 16 on all seven projections), two steps per configuration, each in its own process:
/// <c>OMP_NUM_THREADS=1 dotnet bench/LoraLab.Bench/bin/Debug/net10.0/LoraLab.Bench.dll --train-one SHAPE MODE PRECISION
/// --steps 1 --warmup 1</c> → <c>peak_rss_mb</c> (MiB; small lora/full fp32 with 2 threads). Measured on a 2-core AMD
/// EPYC (AVX-512, avx512_bf16) with the fused RMSNorm, SwiGLU and rotary nodes, whose saved tensors are released as each
/// node's backward ends, and LoRA's dropout path in row-block loops (Kernels/LoraRows; the LoRA rows were re-measured with
/// it: medium fp32 2768 → 2470 MiB); repeated runs of one configuration vary by ±3%. The wide shape (width 2048, MLP
/// 5632, 4 layers) was measured after the planner had been fitted to the other two. Its LoRA rows are here; its full
/// finetuning peaks (6698 MiB fp32, 6484 amp_bf16) are planned 16% and 22% too low, a gap the planner does not model yet
/// (docs/SCALING.md), so they are not listed as passing.
/// </summary>
public class MemoryPlannerTests
{
    public static TheoryData<string, string, string, double> Measured => new()
    {
        { "small", "lora", "fp32", 609.01 },
        { "small", "full", "fp32", 832.52 },
        { "small", "lora", "amp_bf16", 536.94 },
        { "small", "full", "amp_bf16", 746.60 },
        { "medium", "lora", "fp32", 2469.91 },
        { "medium", "lora", "amp_bf16", 2030.52 },
        { "medium", "full", "fp32", 3618.04 },
        { "medium", "full", "amp_bf16", 3236.59 },
        { "wide", "lora", "fp32", 2913.72 },
        { "wide", "lora", "amp_bf16", 2925.27 },
    };

    [Theory]
    [MemberData(nameof(Measured))]
    public void PredictedPeakIsWithin20PercentOfTheMeasuredOne(string shape, string method, string precision, double peakMiB)
    {
        var plan = MemoryPlanner.Plan(Run(shape, method, precision), Model(shape));
        double measured = peakMiB * 1024 * 1024;
        double error = (plan.TotalBytes - measured) / measured;
        Assert.True(Math.Abs(error) <= 0.20,
            $"{shape}/{method}/{precision}: predicted {plan.TotalBytes / 1048576.0:F0} MiB, measured {peakMiB:F0} MiB ({error:P1})");
    }

    [Fact]
    public void Llama2_7bCountsAreThePublishedOnesAndLoraNeedsFarLess()
    {
        var model = LlamaConfig.Load(Path.Combine(TestSupport.SharedFiles.RepoRoot, "configs", "models", "llama-2-7b-config.json"));
        var full = MemoryPlanner.Plan(Run("7b", "full", "amp_bf16", checkpointing: true), model, gpu: true);
        var lora = MemoryPlanner.Plan(Run("7b", "lora", "amp_bf16", checkpointing: true), model, gpu: true);
        Assert.Equal(6_738_415_616, full.Parameters); // Llama-2-7B's parameter count
        Assert.Equal(39_976_960, lora.TrainableParameters); // PEFT's count for r = 16 on all seven projections
        Assert.Equal(full.Parameters * 4, full.GradientsBytes);
        Assert.True(lora.TotalBytes < full.TotalBytes / 2);
        var plain = MemoryPlanner.Plan(Run("7b", "lora", "amp_bf16", checkpointing: false), model, gpu: true);
        Assert.True(lora.ActivationsBytes < plain.ActivationsBytes / 5, "checkpointing keeps one layer's activations, not 32");
    }

    private static LlamaConfig Model(string shape)
    {
        var (dim, layers, heads, ffn) = shape switch { "small" => (288, 6, 6, 768), "wide" => (2048, 4, 16, 5632), _ => (768, 12, 12, 2048) };
        return new LlamaConfig
        {
            HiddenSize = dim, IntermediateSize = ffn, NumHiddenLayers = layers, NumAttentionHeads = heads, NumKeyValueHeads = heads,
            HeadDim = dim / heads, VocabSize = 32000, MaxPositionEmbeddings = 4096, TieWordEmbeddings = true, RmsNormEps = 1e-5,
        };
    }

    private static RunConfig Run(string shape, string method, string precision, bool checkpointing = false)
    {
        var (seq, batch) = shape switch { "small" => (256, 8), "medium" or "wide" => (512, 4), _ => (4096, 1) };
        string yaml = $"""
            model:
              path: /models/any
            method: {method}
            lora:
              r: 16
              target_modules: all
            optimizer:
              name: adamw
              lr: 1.0e-4
            data:
              regime: cpt
              paths: [/data/any.txt]
              seq_len: {seq}
            global_train_batch_size: {batch}
            max_duration: 1ba
            precision: {precision}
            activation_checkpointing: {(checkpointing ? "true" : "false")}
            run_dir: /tmp/plan
            """;
        return RunConfigLoader.Parse(yaml, "plan.yaml");
    }
}
