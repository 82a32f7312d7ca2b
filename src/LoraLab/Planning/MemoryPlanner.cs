using LoraLab.Models.Llama;
using LoraLab.Training.Config;

namespace LoraLab.Planning;

/// <summary>
/// Predicts a training run's peak memory from its shape, as LoraLab's training step allocates it (N = micro-batch ×
/// sequence tokens, C hidden, C_kv = kv heads × head dim, I intermediate, L layers, V vocabulary):
/// <list type="bullet">
/// <item>weights: parameters × 4 (fp32, amp_bf16) or × 2 (bf16); under amp_bf16 also the bfloat16 copies of the
/// projection weights that backward keeps (all layers, or one when checkpointing).</item>
/// <item>gradients and optimizer state: trainable parameters × dtype size, × 2 for AdamW's moments (× 1 for Lion).</item>
/// <item>activations per decoder layer (what autograd keeps for backward): the two norm inputs (N·C each) and, when
/// the norm weights train and the norms run as composed operations (a GPU, or bf16), the two normalised tensors — in
/// the residual stream's dtype (float32 but under bf16; the CPU's fused float32 norm keeps one 1/rms per row instead) —
/// and N·(5·C + 2·C_kv + 4·I) elements in the matmul dtype (bfloat16 under amp_bf16 and bf16): the projection inputs
/// (q/k/v share one, o, gate/up share one), the rotated q and k, v and the attention output, the four SwiGLU tensors
/// (gate and up outputs, silu(gate), the product; the CPU's fused SwiGLU keeps no silu(gate): 3·I). The rotary products
/// keep nothing (cos and sin need no gradient). Plus two bytes per N·C of
/// residual-dropout masks when that dropout is on. On the CPU, B·H·T²·(matmul bytes + 1) more per layer: an allowance
/// fitted to the measured peaks (5 bytes per score in fp32, 3 in bfloat16) when they were taken with libtorch's attention.
/// It is not kept scores: the fused causal attention that replaced it keeps none (one log-sum-exp per row), and the
/// medium shape's peaks did not move. A GPU plan (<c>gpu</c>) leaves it out. With checkpointing: each
/// layer's input (N·C) plus one layer recomputed. After the stack: the final norm (2·N·C float32) and ∂L/∂h (N·C).</item>
/// <item>the output projection's gradient, computed in the loss's forward (full finetuning only; libtorch copies it
/// once into .grad).</item>
/// <item>on the CPU, a fixed runtime allowance (<see cref="CpuRuntimeBytes"/>); a GPU plan leaves out the CUDA context.</item>
/// </list>
/// The measured peaks it is checked against are in tests/LoraLab.Tests/Planning/MemoryPlannerTests.cs.
/// </summary>
public static class MemoryPlanner
{
    /// <summary>
    /// Resident memory of a LoraLab process with libtorch loaded and no model (the .NET runtime, libtorch's and MKL's
    /// code and buffers), as the benchmark's peak RSS includes it: measured as the peak of a training step of the demo's
    /// tiny model (<c>--train-one demo lora fp32</c>, one thread), 312–321 MiB.
    /// </summary>
    public const long CpuRuntimeBytes = 320L << 20;

    /// <param name="gpu">Plan for a GPU: flash attention keeps no score matrices, and no CPU runtime allowance is added.</param>
    public static MemoryPlan Plan(RunConfig run, LlamaConfig model, bool gpu = false)
    {
        long runtimeBytes = gpu ? 0 : CpuRuntimeBytes;
        bool lora = run.Method == FinetuneMethod.Lora;
        var targets = lora ? run.Lora.ResolveTargetModules(out _) ?? [] : [];
        long c = model.HiddenSize, ckv = (long)model.NumKeyValueHeads * model.HeadDim;
        long i = model.IntermediateSize, layers = model.NumHiddenLayers, v = model.VocabSize;
        long n = (long)run.MicrobatchSize * run.Data.SeqLen;
        long projections = LlamaProjections.All.Sum(p => Product(LlamaProjections.Shape(p, model))); // per layer
        long baseParams = (long)LlamaSizes.ParameterCount(model); // exact below 2^53
        long loraParams = layers * targets.Sum(t => run.Lora.R * Sum(LlamaProjections.Shape(t, model)));
        long parameters = baseParams + loraParams;
        long trainable = lora ? loraParams : baseParams;

        bool amp = run.Precision == Precision.AmpBf16, bf16 = run.Precision == Precision.Bf16;
        long w = bf16 ? 2 : 4; // weights, gradients and optimizer state
        bool checkpointing = run.ActivationCheckpointing;
        long keptLayers = checkpointing ? 1 : layers;
        long weights = parameters * w + (amp ? keptLayers * projections * 2 : 0);
        long gradients = trainable * w;
        long optimizer = trainable * w * (run.Optimizer.Name == OptimizerName.Adamw ? 2 : 1);

        long residual = bf16 ? 2 : 4, matmul = bf16 || amp ? 2 : 4;
        double dropout = lora ? 0 : run.Full.Dropout;
        bool fusedNorm = !gpu && !bf16, fusedSwiGlu = !gpu; // the CPU's fused kernels (Kernels/RmsNorm, Kernels/SwiGlu)
        long kept = lora || fusedNorm ? 2 : 4; // the two norm inputs, and the normalised tensors when composed norms' weights train
        long swiGlu = fusedSwiGlu ? 3 : 4;
        long scores = gpu ? 0 : (long)run.MicrobatchSize * model.NumAttentionHeads * run.Data.SeqLen * run.Data.SeqLen * (matmul + 1);
        long perLayer = n * (kept * c * residual + (5 * c + 2 * ckv + swiGlu * i) * matmul) + scores + (dropout > 0 ? 2 * n * c : 0);
        long stack = checkpointing ? layers * n * c * residual + perLayer : layers * perLayer;
        long activations = stack + 3 * n * c * 4;
        long head = lora ? 0 : v * c * (amp ? 2 + 4 : 2 * w); // amp: the bf16 gradient and its float32 cast; else it and its copy

        return new MemoryPlan
        {
            Method = lora ? "lora" : "full",
            Precision = ConfigBinder.SnakeCase(run.Precision.ToString()),
            MicroBatch = run.MicrobatchSize,
            SeqLen = run.Data.SeqLen,
            ActivationCheckpointing = checkpointing,
            Parameters = parameters,
            TrainableParameters = trainable,
            WeightsBytes = weights,
            GradientsBytes = gradients,
            OptimizerStateBytes = optimizer,
            ActivationsBytes = activations,
            HeadGradientBytes = head,
            RuntimeBytes = runtimeBytes,
        };
    }

    private static long Product((long In, long Out) shape) => shape.In * shape.Out;

    private static long Sum((long In, long Out) shape) => shape.In + shape.Out;
}
