using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Reads llama2.c "legacy" (version-0) checkpoints: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size, seq_len; negative vocab = unshared classifier) followed by float32 arrays. Returns the weights under
/// Hugging Face names, with q/k rows permuted from llama2.c's interleaved RoPE pairs to HF's rotate_half layout.
/// </summary>
public static class Llama2cCheckpoint
{
    private const int HeaderBytes = 7 * 4;

    /// <summary>The config implied by the header (RMSNorm eps 1e-5, θ 10000, BOS 1, EOS 2, as llama2.c).</summary>
    public static LlamaConfig ReadConfig(string path)
    {
        using var stream = OpenChecked(path);
        return ReadHeader(stream, path).Config;
    }

    /// <summary>Loads config and weights; the caller owns (and disposes) the returned tensors.</summary>
    public static (LlamaConfig Config, Dictionary<string, Tensor> Weights) Load(string path)
    {
        using var stream = OpenChecked(path);
        var (config, shared) = ReadHeader(stream, path);
        int dim = config.HiddenSize, hidden = config.IntermediateSize, layers = config.NumHiddenLayers;
        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, headSize = config.HeadDim, vocab = config.VocabSize;
        long seqLen = config.MaxPositionEmbeddings;
        long floats = (long)vocab * dim + layers * (2L * dim + (long)heads * headSize * dim + 2L * kvHeads * headSize * dim
            + (long)dim * heads * headSize + 3L * hidden * dim) + dim + seqLen * headSize;
        if (!shared) floats += (long)vocab * dim;
        long expected = HeaderBytes + 4 * floats;
        if (stream.Length != expected)
            throw new LoraLabException($"{path}: file is {stream.Length} bytes but its header (dim {dim}, hidden_dim {hidden}, n_layers {layers}, " +
                $"n_heads {heads}, n_kv_heads {kvHeads}, vocab {vocab}, seq_len {seqLen}) implies {expected}. The file is truncated or not a llama2.c " +
                "legacy checkpoint.");

        var reader = new BinaryReader(stream);
        var w = new Dictionary<string, Tensor>();
        Tensor Read(params long[] shape)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            var bytes = reader.ReadBytes(checked((int)(n * 4)));
            Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
            return tensor(data, shape).DetachFromDisposeScope();
        }
        void PerLayer(string name, Func<Tensor, Tensor>? transform, params long[] shape)
        {
            for (int l = 0; l < layers; l++)
            {
                var t = Read(shape);
                if (transform != null) { var u = transform(t); t.Dispose(); t = u; }
                w[$"model.layers.{l}.{name}.weight"] = t;
            }
        }
        w["model.embed_tokens.weight"] = Read(vocab, dim);
        foreach (string name in LayerTensors)
        {
            Func<Tensor, Tensor>? toRotateHalf = name switch
            {
                "self_attn.q_proj" => t => PermuteForRotateHalf(t, heads, headSize, dim),
                "self_attn.k_proj" => t => PermuteForRotateHalf(t, kvHeads, headSize, dim),
                _ => null,
            };
            long[] shape = name switch
            {
                "input_layernorm" or "post_attention_layernorm" => [dim],
                "self_attn.q_proj" => [heads * headSize, dim],
                "self_attn.k_proj" or "self_attn.v_proj" => [kvHeads * headSize, dim],
                "self_attn.o_proj" => [dim, heads * headSize],
                "mlp.down_proj" => [dim, hidden],
                _ => [hidden, dim], // gate_proj, up_proj
            };
            PerLayer(name, toRotateHalf, shape);
        }
        w["model.norm.weight"] = Read(dim);
        reader.BaseStream.Seek(4L * seqLen * headSize, SeekOrigin.Current); // legacy freq_cis_real/imag tables: unused
        if (!shared) w["lm_head.weight"] = Read(vocab, dim);
        return (config, w);
    }

    /// <summary>
    /// The legacy file's per-layer tensors in file order (Hugging Face names), each stored for every layer in turn between
    /// the token embedding and the final norm.
    /// </summary>
    internal static readonly string[] LayerTensors =
    [
        "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "post_attention_layernorm", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj",
    ];

    /// <summary>
    /// Loads a llama2.c checkpoint into a model (converted to <paramref name="dtype"/>; <paramref name="residualDropout"/>
    /// set in its config; built by <paramref name="build"/> when given, whose extra keys <paramref name="optional"/> names).
    /// The caller owns the model.
    /// </summary>
    public static LlamaForCausalLM LoadModel(string path, ScalarType dtype = ScalarType.Float32, double residualDropout = 0,
        Func<LlamaConfig, LlamaForCausalLM>? build = null, Func<string, bool>? optional = null)
    {
        var (config, weights) = Load(path);
        try
        {
            var withDropout = config with { ResidualDropout = residualDropout };
            var model = build?.Invoke(withDropout) ?? new LlamaForCausalLM(withDropout, dtype);
            try
            {
                StateDictLoader.Load(model, weights.Keys, n => weights[n], path, optional: optional);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            return model;
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Reorders the rows of a q or k projection (H·D, C) so that llama2.c's interleaved pairs (2i, 2i+1) become
    /// HF's split halves (i, i + D/2): W.view(H, D/2, 2, C).transpose(1, 2).reshape(H·D, C).
    /// </summary>
    public static Tensor PermuteForRotateHalf(Tensor w, int heads, int headSize, int dim)
    {
        using var scope = NewDisposeScope();
        return w.view(heads, headSize / 2, 2, dim) // (H, D/2, 2, C)
            .transpose(1, 2) // (H, 2, D/2, C)
            .reshape(heads * headSize, dim) // (H·D, C)
            .contiguous().MoveToOuterDisposeScope();
    }

    private static FileStream OpenChecked(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: llama2.c checkpoint not found.");
        return File.OpenRead(path);
    }

    private static (LlamaConfig Config, bool Shared) ReadHeader(Stream stream, string path)
    {
        if (stream.Length < HeaderBytes)
            throw new LoraLabException($"{path}: {stream.Length} bytes is too short for a llama2.c header (28 bytes).");
        var r = new BinaryReader(stream);
        int dim = r.ReadInt32(), hidden = r.ReadInt32(), layers = r.ReadInt32(), heads = r.ReadInt32(),
            kvHeads = r.ReadInt32(), vocab = r.ReadInt32(), seqLen = r.ReadInt32();
        bool shared = vocab > 0;
        vocab = Math.Abs(vocab);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0 || dim % heads != 0
            || heads % kvHeads != 0 || dim > 1 << 16 || layers > 1024)
            throw new LoraLabException($"{path}: implausible llama2.c header (dim {dim}, hidden_dim {hidden}, n_layers {layers}, n_heads {heads}, " +
                $"n_kv_heads {kvHeads}, vocab {vocab}, seq_len {seqLen}); is this a legacy (version-0) llama2.c export?");
        var config = new LlamaConfig
        {
            HiddenSize = dim,
            IntermediateSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = dim / heads,
            RmsNormEps = 1e-5,
            RopeTheta = 10000.0,
            MaxPositionEmbeddings = seqLen,
            VocabSize = vocab,
            TieWordEmbeddings = shared,
            BosTokenId = 1,
            EosTokenId = 2,
            TorchDtype = "float32",
        };
        return (config.Validate(path), shared);
    }
}
