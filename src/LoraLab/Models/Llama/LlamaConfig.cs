using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Models.Llama;

/// <summary>
/// A Llama-family model's hyper-parameters, with the field names of Hugging Face's <c>config.json</c>.
/// <see cref="Load"/> refuses other architectures and values we do not support, naming the file and field.
/// </summary>
public sealed record LlamaConfig
{
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; }
    public int NumAttentionHeads { get; init; }
    public int NumKeyValueHeads { get; init; }
    public int HeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public int VocabSize { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; } = 1;
    public int? EosTokenId { get; init; } = 2;
    /// <summary>Extra EOS ids (Llama-3 configs give eos_token_id as a list); generation stops at any of them.</summary>
    public IReadOnlyList<int> ExtraEosTokenIds { get; init; } = Array.Empty<int>();
    public int? PadTokenId { get; init; }
    public string TorchDtype { get; init; } = "float32";
    public double AttentionDropout { get; init; }
    /// <summary>Standard deviation of the normal init of linear and embedding weights (transformers' <c>initializer_range</c>).</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>Dropout on the attention and MLP outputs (a full-finetuning regulariser; 0 for inference).</summary>
    public double ResidualDropout { get; init; }

    public int NumKeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    public IEnumerable<int> AllEosTokenIds => (EosTokenId is int e ? new[] { e } : Array.Empty<int>()).Concat(ExtraEosTokenIds);

    /// <summary>Checks invariants; throws naming <paramref name="source"/> and the field.</summary>
    public LlamaConfig Validate(string source = "config")
    {
        void Positive(int v, string field)
        {
            if (v <= 0) throw new LoraLabException($"{source}: '{field}' must be a positive integer, got {v}.");
        }
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        Positive(VocabSize, "vocab_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new LoraLabException($"{source}: 'num_attention_heads' ({NumAttentionHeads}) must be a multiple of 'num_key_value_heads' " +
                $"({NumKeyValueHeads}).");
        if (HeadDim % 2 != 0)
            throw new LoraLabException($"{source}: 'head_dim' ({HeadDim}) must be even for rotary embeddings.");
        if (!(RmsNormEps > 0)) throw new LoraLabException($"{source}: 'rms_norm_eps' must be > 0, got {RmsNormEps}.");
        if (!(RopeTheta > 0)) throw new LoraLabException($"{source}: 'rope_theta' must be > 0, got {RopeTheta}.");
        if (TorchDtype is not ("float32" or "bfloat16" or "float16"))
            throw new LoraLabException($"{source}: 'dtype'/'torch_dtype' \"{TorchDtype}\" is not supported; use float32, bfloat16 or float16.");
        if (!(InitializerRange > 0) || double.IsInfinity(InitializerRange))
            throw new LoraLabException($"{source}: 'initializer_range' must be a positive number, got {InitializerRange}.");
        foreach (int id in new[] { BosTokenId, EosTokenId, PadTokenId }.OfType<int>().Concat(ExtraEosTokenIds))
            if (id < 0 || id >= VocabSize)
                throw new LoraLabException($"{source}: special token id {id} is outside the vocabulary (vocab_size {VocabSize}).");
        if (RopeScaling is { } rs)
        {
            if (!RopeScaling.SupportedTypes.Contains(rs.RopeType))
                throw new LoraLabException($"{source}: 'rope_parameters.rope_type' \"{rs.RopeType}\" is not supported; supported: " +
                    $"{string.Join(", ", RopeScaling.SupportedTypes)}.");
            if (!(rs.Factor > 0)) throw new LoraLabException($"{source}: 'rope_parameters.factor' must be > 0.");
            if (rs.RopeType == "llama3" && !(rs.HighFreqFactor > rs.LowFreqFactor))
                throw new LoraLabException($"{source}: 'rope_parameters.high_freq_factor' must exceed 'low_freq_factor'.");
        }
        return this;
    }

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>.</summary>
    public static LlamaConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new LoraLabException($"{path}: config.json not found. A model directory needs config.json and model.safetensors (convert llama2.c " +
                "checkpoints with 'loralab convert').");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path}: not valid JSON ({e.Message}).");
        }
        if (root is not JsonObject obj) throw new LoraLabException($"{path}: expected a JSON object.");
        var config = LlamaConfigJson.FromJson(obj, path).Validate(path);
        // Even in bfloat16 (the smallest dtype LoraLab loads in) the model must fit: refuse before any allocation.
        LlamaSizes.CheckFitsInMemory(config, TorchSharp.torch.ScalarType.BFloat16, path);
        return config;
    }

    /// <summary>Writes this config as Hugging Face <c>config.json</c> (temp file + rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, LlamaConfigJson.ToJson(this).ToJsonString(JsonFormats.Indented));
}
