using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Generation;

/// <summary>
/// The fused CPU decoder for batch 1: one token's forward pass over the model's own float32 weights, read in place through
/// their data pointers (nothing copied), with <see cref="DecodeMath"/> vector loops split over <see cref="DecodeThreads"/>
/// and its own KV cache. It computes what <see cref="LlamaForCausalLM.ForwardLast"/> computes for one unpadded row —
/// RMSNorm, rotate-half RoPE from the model's inverse frequencies (default, linear or llama3 scaling), grouped-query causal
/// attention, SwiGLU, final norm and classifier — to float rounding. It applies only where <see cref="WhyNot"/> finds
/// nothing (CPU, float32, no autocast, every projection a plain bias-free linear, fused kernels selected); everything else
/// runs the TorchSharp path. Greedy steps (<see cref="StepGreedy"/>) over a large classifier read its bfloat16 copy, made
/// when the decoder is built, and rescore in float32 only the rows that can win (<see cref="GreedyClassifier"/>). The
/// model's weights must stay alive and unchanged while a decoder exists.
/// </summary>
internal sealed unsafe class FusedDecoder : IDisposable
{
    /// <summary>
    /// Below this many multiply-adds a loop runs on the caller's thread: handing it out costs about as much as it saves.
    /// A spinning worker takes a loop in about a microsecond, so even stories260K splits its classifier, SwiGLU and (past
    /// ~128 positions) attention: with two threads that ran at 13.9–16.2K tokens/s here, against 10.5–10.9K when it split
    /// nothing (threshold 96K).
    /// </summary>
    private const long ParallelWork = 16 * 1024;

    private readonly int dim, hidden, layers, heads, kvHeads, headDim, vocab, maxLength, qDim, kvDim;
    private readonly float eps, scale;
    private readonly float* embed, finalNorm, classifier;
    private readonly Layer[] weights;
    private readonly float* cos, sin; // (maxLength, D/2) each
    private readonly float* keyCache, valueCache; // (L, maxLength, H_kv·D) each
    private readonly float* x, xb, xb2, q, attnOut, hb, hb2, scores, logits; // scratch: (C), (C), (C), (H·D), (H·D), (I), (I), (H, maxLength), (V)
    private readonly void* block;
    private readonly int threadCount;
    private DecodeThreads? threads; // started by the first loop worth splitting
    private readonly Action<int, int> qkvBody, attentionBody, outBody, gateUpBody, downBody, classifierBody;
    private readonly GreedyClassifier? greedy; // a bfloat16 copy of a large classifier, for StepGreedy
    private readonly float* rowScores; // (V) the copy's scores
    private readonly Action<int, int>? scoreBody;
    private int layer, position;

    /// <summary>One decoder layer's weights: norms (C), q (H·D, C), k and v (H_kv·D, C), o (C, H·D), gate and up (I, C), down (C, I).</summary>
    private readonly struct Layer(float* attnNorm, float* wq, float* wk, float* wv, float* wo, float* ffnNorm, float* wg, float* wu, float* wd)
    {
        public readonly float* AttnNorm = attnNorm, Wq = wq, Wk = wk, Wv = wv, Wo = wo, FfnNorm = ffnNorm, Wg = wg, Wu = wu, Wd = wd;
    }

    /// <summary>Why <paramref name="model"/> cannot take the fused path, or null when it can.</summary>
    public static string? WhyNot(LlamaForCausalLM model)
    {
        if (KernelSwitch.Reference) return $"{KernelSwitch.Variable}=reference";
        if (model.Device.type != TorchSharp.DeviceType.CPU) return "the model is not on the CPU";
        if (model.DType != ScalarType.Float32) return $"the model is {model.DType}, not float32";
        if (model.Model.AutocastDType is not null) return "autocast is on";
        if (model.Config.HeadDim % 2 != 0) return "the head dimension is odd";
        foreach (var l in model.Model.Layers)
        {
            nn.Module<Tensor, Tensor>[] projections =
                [l.SelfAttn.q_proj, l.SelfAttn.k_proj, l.SelfAttn.v_proj, l.SelfAttn.o_proj, l.Mlp.gate_proj, l.Mlp.up_proj, l.Mlp.down_proj];
            if (projections.Any(p => p is not Linear { bias: null })) return "a projection is not a plain bias-free linear (e.g. LoRA)";
        }
        if (model.parameters().Any(p => !p.is_contiguous())) return "a weight is not contiguous";
        return null;
    }

    /// <param name="maxLength">Positions the cache holds (prompt + new tokens).</param>
    /// <param name="threadCount">Threads per loop (the torch thread count).</param>
    /// <param name="greedy">Tokens will be chosen by <see cref="StepGreedy"/>: a large classifier gets a <see cref="GreedyClassifier"/>.</param>
    public FusedDecoder(LlamaForCausalLM model, int maxLength, int threadCount, bool greedy = false)
    {
        if (WhyNot(model) is string why) throw new InvalidOperationException($"the fused decoder does not apply: {why}");
        var c = model.Config;
        (dim, hidden, layers, heads, kvHeads, headDim, vocab) =
            (c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize);
        this.maxLength = maxLength;
        qDim = heads * headDim;
        kvDim = kvHeads * headDim;
        eps = (float)c.RmsNormEps;
        scale = 1f / MathF.Sqrt(headDim);
        var m = model.Model;
        embed = Pointer(m.EmbedTokens.weight!, vocab, dim);
        finalNorm = Pointer(m.norm.Weight, dim);
        classifier = Pointer(model.OutputWeight, vocab, dim);
        weights = m.Layers.Select(l => new Layer(
            Pointer(l.input_layernorm.Weight, dim), Pointer(l.SelfAttn.q_proj, qDim, dim), Pointer(l.SelfAttn.k_proj, kvDim, dim),
            Pointer(l.SelfAttn.v_proj, kvDim, dim), Pointer(l.SelfAttn.o_proj, dim, qDim), Pointer(l.post_attention_layernorm.Weight, dim),
            Pointer(l.Mlp.gate_proj, hidden, dim), Pointer(l.Mlp.up_proj, hidden, dim), Pointer(l.Mlp.down_proj, dim, hidden))).ToArray();

        // Every token streams all the weights: huge pages spare it a TLB miss (two page walks in a VM) every 4 KiB.
        HugePages.Collapse(model.parameters().Select(Span));

        long half = headDim / 2, cacheFloats = (long)layers * maxLength * kvDim;
        long[] sizes =
            [maxLength * half, maxLength * half, cacheFloats, cacheFloats, dim, dim, dim, qDim, qDim, hidden, hidden, (long)heads * maxLength, vocab, vocab];
        long total = sizes.Sum(s => (s + 15) / 16 * 16); // each buffer 64-byte aligned
        block = NativeMemory.AlignedAlloc((nuint)(total * sizeof(float)), 64);
        float* next = (float*)block;
        int index = 0;
        float* Take() { float* p = next; next += (sizes[index++] + 15) / 16 * 16; return p; }
        cos = Take(); sin = Take(); keyCache = Take(); valueCache = Take();
        x = Take(); xb = Take(); xb2 = Take(); q = Take(); attnOut = Take(); hb = Take(); hb2 = Take(); scores = Take(); logits = Take();
        rowScores = Take();

        // RoPE tables as the model computes them: inv_freq cast to float32, angle = float32(position) · inv_freq
        var invFreq = RotaryEmbedding.InverseFrequencies(headDim, c.RopeTheta, c.RopeScaling).Select(d => (float)d).ToArray();
        for (int p = 0; p < maxLength; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        }
        this.threadCount = threadCount;
        qkvBody = Qkv;
        attentionBody = Attention;
        outBody = (r0, r1) => DecodeMath.MatVec(weights[layer].Wo, attnOut, xb2, qDim, dim, r0, r1);
        gateUpBody = GateUp;
        downBody = (r0, r1) => DecodeMath.MatVec(weights[layer].Wd, hb, xb2, hidden, dim, r0, r1);
        classifierBody = (r0, r1) => DecodeMath.MatVec(classifier, xb, logits, dim, vocab, r0, r1);
        if (greedy && GreedyClassifier.Worth(vocab, dim))
        {
            var copy = new GreedyClassifier(classifier, vocab, dim);
            Parallel(vocab, dim, copy.Build);
            if (copy.Usable)
            {
                this.greedy = copy;
                scoreBody = (r0, r1) => copy.Score(xb, rowScores, r0, r1);
            }
            else copy.Dispose(); // a weight that is not finite: every step takes the full float32 product
        }
    }

    /// <summary>
    /// Runs token <paramref name="token"/> at <paramref name="pos"/> (positions fill in order from 0): its keys and values
    /// enter the cache; returns its logits (V) when <paramref name="wantLogits"/>, valid until the next call, else empty.
    /// </summary>
    public ReadOnlySpan<float> Step(int token, int pos, bool wantLogits = true)
    {
        Layers(token, pos);
        if (!wantLogits) return ReadOnlySpan<float>.Empty;
        DecodeMath.RmsNorm(x, finalNorm, xb, dim, eps);
        Parallel(vocab, dim, classifierBody);
        return new ReadOnlySpan<float>(logits, vocab);
    }

    /// <summary>
    /// Runs token <paramref name="token"/> at <paramref name="pos"/> as <see cref="Step"/> does and returns the first maximum
    /// of its logits (the greedy choice, as <see cref="TokenSampler.ArgMax"/> takes it). With a <see cref="GreedyClassifier"/>
    /// only the rows that can win are scored in float32.
    /// </summary>
    public int StepGreedy(int token, int pos)
    {
        if (greedy is null) return TokenSampler.ArgMax(Step(token, pos));
        Layers(token, pos);
        DecodeMath.RmsNorm(x, finalNorm, xb, dim, eps);
        Parallel(vocab, dim / 2, scoreBody!); // half the bytes of a float32 row
        int id = greedy.Choose(xb, rowScores, logits, classifierBody);
        if (id >= 0) return id;
        Parallel(vocab, dim, classifierBody);
        return TokenSampler.ArgMax(new ReadOnlySpan<float>(logits, vocab));
    }

    // The decoder layers for one token: its keys and values enter the cache and x holds its last hidden state.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Layers(int token, int pos)
    {
        if ((uint)token >= (uint)vocab) throw new LoraLabException($"token id {token} is outside the vocabulary (0..{vocab - 1}).");
        if ((uint)pos >= (uint)maxLength) throw new LoraLabException($"position {pos} is past the decoder's {maxLength}-position cache.");
        position = pos;
        new ReadOnlySpan<float>(embed + (long)token * dim, dim).CopyTo(new Span<float>(x, dim));
        for (layer = 0; layer < layers; layer++)
        {
            var w = weights[layer];
            DecodeMath.RmsNorm(x, w.AttnNorm, xb, dim, eps);
            Parallel(qDim + 2 * kvDim, dim, qkvBody);
            float* k = keyCache + ((long)layer * maxLength + pos) * kvDim;
            for (int h = 0; h < heads; h++) Rope(q + h * headDim, pos);
            for (int h = 0; h < kvHeads; h++) Rope(k + h * headDim, pos);
            Parallel(heads, 2L * (pos + 1) * headDim, attentionBody, align: 1);
            Parallel(dim, qDim, outBody);
            DecodeMath.AddInPlace(x, xb2, dim);
            DecodeMath.RmsNorm(x, w.FfnNorm, xb, dim, eps);
            Parallel(hidden, 2L * dim, gateUpBody);
            Parallel(dim, hidden, downBody);
            DecodeMath.AddInPlace(x, xb2, dim);
        }
    }

    private void Parallel(int count, long workPerItem, Action<int, int> body, int align = 4)
    {
        if (threadCount == 1 || count * workPerItem < ParallelWork) body(0, count);
        else (threads ??= new DecodeThreads(threadCount)).Run(count, body, align);
    }

    /// <summary>Rows [r0, r1) of the stacked (q; k; v) projection; k and v go straight into the cache at this position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Qkv(int r0, int r1)
    {
        var w = weights[layer];
        long at = ((long)layer * maxLength + position) * kvDim;
        Segment(w.Wq, q, 0, qDim, r0, r1);
        Segment(w.Wk, keyCache + at, qDim, kvDim, r0, r1);
        Segment(w.Wv, valueCache + at, qDim + kvDim, kvDim, r0, r1);
    }

    /// <summary>The rows of [r0, r1) that fall in the block [first, first + rows) of a stacked product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Segment(float* w, float* y, int first, int rows, int r0, int r1)
    {
        int a = Math.Max(r0, first) - first, b = Math.Min(r1, first + rows) - first;
        if (a < b) DecodeMath.MatVec(w, xb, y, dim, rows, a, b);
    }

    /// <summary>
    /// Heads [h0, h1): softmax(q·Kᵀ/√D) V over positions 0..pos of each head's key/value head. Positions run in the outer
    /// loops, so each cached key and value row is read once, front to back, for all the heads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Attention(int h0, int h1)
    {
        int seen = position + 1, group = heads / kvHeads;
        float* keys = keyCache + (long)layer * maxLength * kvDim, values = valueCache + (long)layer * maxLength * kvDim;
        for (int t = 0; t < seen; t++)
        {
            float* row = keys + (long)t * kvDim;
            for (int h = h0; h < h1; h++) scores[(long)h * maxLength + t] = DecodeMath.Dot(q + h * headDim, row + h / group * headDim, headDim) * scale;
        }
        for (int h = h0; h < h1; h++) DecodeMath.Softmax(scores + (long)h * maxLength, seen);
        new Span<float>(attnOut + h0 * headDim, (h1 - h0) * headDim).Clear();
        for (int t = 0; t < seen; t++)
        {
            float* row = values + (long)t * kvDim;
            for (int h = h0; h < h1; h++) DecodeMath.Axpy(scores[(long)h * maxLength + t], row + h / group * headDim, attnOut + h * headDim, headDim);
        }
    }

    /// <summary>Rows [r0, r1) of silu(gate·h) ⊙ (up·h).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GateUp(int r0, int r1)
    {
        var w = weights[layer];
        DecodeMath.MatVec(w.Wg, xb, hb, dim, hidden, r0, r1);
        DecodeMath.MatVec(w.Wu, xb, hb2, dim, hidden, r0, r1);
        DecodeMath.SiluMul(hb, hb2, r0, r1);
    }

    /// <summary>Rotate-half RoPE of one head at <paramref name="pos"/>: pairs (i, i + D/2) turn by angle pos·inv_freq[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rope(float* v, int pos)
    {
        int half = headDim / 2;
        float* c = cos + (long)pos * half, s = sin + (long)pos * half;
        for (int i = 0; i < half; i++)
        {
            float a = v[i], b = v[i + half];
            v[i] = a * c[i] - b * s[i];
            v[i + half] = b * c[i] + a * s[i];
        }
    }

    private static float* Pointer(nn.Module<Tensor, Tensor> projection, long rows, long cols) =>
        Pointer(((Linear)projection).weight!, rows, cols);

    /// <summary>The data pointer of a contiguous float32 CPU tensor of the given shape (its first element's address).</summary>
    private static float* Pointer(Tensor t, params long[] shape)
    {
        if (t.dtype != ScalarType.Float32 || !t.is_contiguous() || !t.shape.SequenceEqual(shape))
            throw new InvalidOperationException(
                $"the fused decoder needs a contiguous float32 ({string.Join(", ", shape)}) weight, got {t.dtype} ({string.Join(", ", t.shape)}).");
        return (float*)TensorAddress.Of(t);
    }

    /// <summary>Where a contiguous CPU tensor's elements lie: (address of the first, bytes).</summary>
    private static (nint Start, long Bytes) Span(Tensor t) =>
        !t.is_contiguous() || t.numel() == 0 ? (0, 0) : (TensorAddress.Of(t), t.numel() * t.element_size());

    public void Dispose()
    {
        threads?.Dispose();
        greedy?.Dispose();
        NativeMemory.AlignedFree(block);
    }
}
