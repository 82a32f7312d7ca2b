using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Writes a plain Llama model as a llama2.c "legacy" (version-0) checkpoint, the format <see cref="Llama2cCheckpoint"/>
/// reads: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size — negative when the classifier is not
/// tied — and seq_len), then float32 arrays, all layers of one kind together, in llama2.c's order: token embedding,
/// rms_att, wq, wk, wv, wo, rms_ffn, w1 (gate), w2 (down), w3 (up), rms_final, freq_cis_real and freq_cis_imag
/// (seq_len, head_size/2: cos and sin of pos·10000^(−2i/head_size), which llama2.c's export wrote and readers skip),
/// then wcls when untied. q and k rows go back from Hugging Face's rotate-half layout to llama2.c's interleaved pairs.
/// The format has no fields for anything else, so a model whose forward needs one is refused.
/// </summary>
public static class Llama2cWriter
{
    public static void Write(LlamaForCausalLM model, string path)
    {
        var c = model.Config;
        var refusals = new List<string>();
        if (c.RopeScaling is not null) refusals.Add($"rope_scaling {c.RopeScaling.RopeType}");
        if (c.RopeTheta != 10000.0) refusals.Add($"rope_theta {c.RopeTheta} (llama2.c uses 10000)");
        if (c.RmsNormEps != 1e-5) refusals.Add($"rms_norm_eps {c.RmsNormEps} (llama2.c uses 1e-5)");
        if (c.HeadDim * c.NumAttentionHeads != c.HiddenSize) refusals.Add($"head_dim {c.HeadDim} ≠ hidden_size / heads");
        var state = model.state_dict();
        var extra = state.Keys.Where(k => !Expected(c).Contains(k)).ToList();
        if (extra.Count > 0) refusals.Add($"weights outside a plain Llama ({string.Join(", ", extra.Take(3))}…; merge LoRA adapters first)");
        if (refusals.Count > 0)
            throw new LoraLabException($"{path}: a llama2.c checkpoint cannot hold this model: {string.Join("; ", refusals)}.");

        AtomicFile.Write(path, stream =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var w = new BinaryWriter(stream);
            foreach (int v in new[] { c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads,
                         c.TieWordEmbeddings ? c.VocabSize : -c.VocabSize, c.MaxPositionEmbeddings })
                w.Write(v);
            w.Flush();
            void Put(Tensor t) => TensorBytes.WriteTo(t.to_type(ScalarType.Float32).cpu().contiguous(), stream);
            void PerLayer(string name, Func<Tensor, Tensor>? transform = null)
            {
                for (int l = 0; l < c.NumHiddenLayers; l++)
                {
                    var t = state[$"model.layers.{l}.{name}.weight"];
                    Put(transform is null ? t : transform(t));
                }
            }
            Put(state["model.embed_tokens.weight"]);
            foreach (string name in Llama2cCheckpoint.LayerTensors)
            {
                PerLayer(name, name switch
                {
                    "self_attn.q_proj" => t => ToInterleaved(t, c.NumAttentionHeads, c.HeadDim, c.HiddenSize),
                    "self_attn.k_proj" => t => ToInterleaved(t, c.NumKeyValueHeads, c.HeadDim, c.HiddenSize),
                    _ => null,
                });
            }
            Put(state["model.norm.weight"]);
            var (real, imag) = FrequencyTables(c.MaxPositionEmbeddings, c.HeadDim);
            Put(real);
            Put(imag);
            if (!c.TieWordEmbeddings) Put(state["lm_head.weight"]);
        });
    }

    /// <summary>
    /// The inverse of <see cref="Llama2cCheckpoint.PermuteForRotateHalf"/>: rows (H·D, C) in split halves (i, i + D/2)
    /// back to interleaved pairs (2i, 2i+1): W.view(H, 2, D/2, C).transpose(1, 2).reshape(H·D, C).
    /// </summary>
    public static Tensor ToInterleaved(Tensor w, int heads, int headSize, int dim)
    {
        using var scope = NewDisposeScope();
        return w.view(heads, 2, headSize / 2, dim) // (H, 2, D/2, C)
            .transpose(1, 2) // (H, D/2, 2, C)
            .reshape(heads * headSize, dim) // (H·D, C)
            .contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>llama2.c's legacy RoPE tables (seq_len, D/2): cos and sin of t·θ^(−2i/D), in float32 as its export computed them.</summary>
    private static (Tensor Real, Tensor Imag) FrequencyTables(int seqLen, int headDim)
    {
        int half = headDim / 2;
        var real = new float[seqLen * half];
        var imag = new float[seqLen * half];
        for (int i = 0; i < half; i++)
        {
            float freq = 1f / MathF.Pow(10000f, 2 * i / (float)headDim);
            for (int t = 0; t < seqLen; t++)
            {
                float angle = t * freq;
                real[t * half + i] = MathF.Cos(angle);
                imag[t * half + i] = MathF.Sin(angle);
            }
        }
        return (tensor(real, new long[] { seqLen, half }), tensor(imag, new long[] { seqLen, half }));
    }

    private static HashSet<string> Expected(LlamaConfig c)
    {
        var keys = new HashSet<string> { "model.embed_tokens.weight", "model.norm.weight" };
        if (!c.TieWordEmbeddings) keys.Add("lm_head.weight");
        string[] names = ["input_layernorm", "post_attention_layernorm", .. LlamaProjections.All.Select(p => $"{LlamaProjections.Parent(p)}.{p}")];
        for (int l = 0; l < c.NumHiddenLayers; l++)
            foreach (var n in names) keys.Add($"model.layers.{l}.{n}.weight");
        return keys;
    }
}
