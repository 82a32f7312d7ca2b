using System.Globalization;
using System.Text.Json.Nodes;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Models.Llama;

/// <summary>
/// Every config.json key of transformers' LlamaConfig that changes the forward: accepted and applied, or refused with
/// an error naming config.json and the key. Each row patches the transformers-5 fixture (Fixtures/config-transformers5.json);
/// a patch key "a.b" sets b inside object a, and the value "$remove" deletes the key.
/// </summary>
public class LlamaConfigKeyTableTests
{
    private const string Llama3 =
        """{"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}""";

    public static TheoryData<string, string, string> Accepted => new()
    {
        // patch, property, value it must take
        { """{"hidden_act": "silu"}""", "HiddenSize", "16" },
        { """{"hidden_act": "swish"}""", "HiddenSize", "16" },
        { """{"attention_bias": false, "mlp_bias": false}""", "HiddenSize", "16" },
        { """{"head_dim": 4}""", "HeadDim", "4" },
        { """{"head_dim": null}""", "HeadDim", "8" },
        { """{"partial_rotary_factor": 1.0}""", "RopeTheta", "500000" },
        { """{"rope_parameters.partial_rotary_factor": 1.0}""", "RopeTheta", "500000" },
        { """{"sliding_window": null}""", "HiddenSize", "16" },
        { """{"sliding_window": 4096, "use_sliding_window": false}""", "HiddenSize", "16" },
        { """{"layer_types": ["full_attention", "full_attention"]}""", "NumHiddenLayers", "2" },
        { """{"pretraining_tp": 2}""", "HiddenSize", "16" },
        { """{"attention_dropout": 0.1}""", "AttentionDropout", "0.1" },
        { """{"tie_word_embeddings": false}""", "TieWordEmbeddings", "False" },
        { """{"rms_norm_eps": 1e-06}""", "RmsNormEps", "1E-06" },
        { """{"initializer_range": 0.01}""", "InitializerRange", "0.01" },
        { """{"dtype": "bfloat16"}""", "TorchDtype", "bfloat16" },
        { """{"dtype": "$remove", "torch_dtype": "float16"}""", "TorchDtype", "float16" },
        { """{"rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}}""", "RopeScaling", "" },
        { """{"rope_parameters": {"rope_type": "default"}, "rope_theta": 123.0}""", "RopeTheta", "123" },
        { """{"rope_parameters": "$remove"}""", "RopeTheta", "10000" },
        { """{"rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}}""", "RopeScaling", "linear 2" },
        { """{"rope_parameters": {"type": "linear", "factor": 4.0}}""", "RopeScaling", "linear 4" },
        { """{"rope_parameters": "$remove", "rope_theta": 500000.0, "rope_scaling": """ + Llama3 + "}", "RopeScaling", "llama3 32 1 4 8192" },
        { """{"rope_parameters.original_max_position_embeddings": "$remove"}""", "RopeScaling", "llama3 32 1 4 131072" },
        { """{"rope_parameters.rope_type": "$remove", "rope_parameters.type": "llama3"}""", "RopeScaling", "llama3 32 1 4 8192" },
        { """{"rope_theta": 500000.0, "rope_scaling": """ + Llama3 + "}", "RopeScaling", "llama3 32 1 4 8192" },
        { """{"rope_scaling": {}}""", "RopeScaling", "llama3 32 1 4 8192" },
    };

    public static TheoryData<string, string> Refused => new()
    {
        // patch, key the one-line error must name
        { """{"rope_parameters.rope_type": "dynamic"}""", "rope_parameters.rope_type" },
        { """{"rope_parameters.rope_type": "yarn"}""", "rope_parameters.rope_type" },
        { """{"rope_parameters.rope_type": "longrope"}""", "rope_parameters.rope_type" },
        { """{"rope_parameters.rope_type": "proportional"}""", "rope_parameters.rope_type" },
        { """{"rope_parameters": "$remove", "rope_scaling": {"type": "dynamic", "factor": 2.0}}""", "rope_scaling.rope_type" },
        { """{"rope_parameters.factor": "$remove"}""", "rope_parameters.factor" },
        { """{"rope_parameters.low_freq_factor": "$remove"}""", "rope_parameters.low_freq_factor" },
        { """{"rope_parameters.high_freq_factor": 1.0}""", "rope_parameters.high_freq_factor" },
        { """{"rope_parameters.factor": 0}""", "rope_parameters.factor" },
        { """{"rope_parameters.beta_fast": 32}""", "rope_parameters.beta_fast" },
        { """{"rope_parameters": {"full_attention": {"rope_type": "default"}}}""", "rope_parameters" },
        { """{"rope_parameters": [1, 2]}""", "rope_parameters" },
        { """{"rope_theta": 10000.0}""", "rope_theta" },
        { """{"rope_scaling": {"rope_type": "linear", "factor": 2.0}}""", "rope_scaling" },
        { """{"rope_parameters.type": "linear"}""", "rope_parameters.type" },
        { """{"attention_bias": true}""", "attention_bias" },
        { """{"mlp_bias": true}""", "mlp_bias" },
        { """{"hidden_act": "gelu"}""", "hidden_act" },
        { """{"hidden_act": "relu"}""", "hidden_act" },
        { """{"partial_rotary_factor": 0.5}""", "partial_rotary_factor" },
        { """{"rope_parameters.partial_rotary_factor": 0.25}""", "partial_rotary_factor" },
        { """{"sliding_window": 4096}""", "sliding_window" },
        { """{"use_sliding_window": true}""", "use_sliding_window" },
        { """{"layer_types": ["sliding_attention", "full_attention"]}""", "layer_types" },
        { """{"layer_types": ["full_attention"]}""", "layer_types" },
        { """{"head_dim": 7}""", "head_dim" },
        { """{"pretraining_tp": 0}""", "pretraining_tp" },
        { """{"attention_dropout": 1.5}""", "attention_dropout" },
        { """{"quantization_config": {"quant_method": "gptq"}}""", "quantization_config" },
        { """{"torch_dtype": "bfloat16"}""", "torch_dtype" },
        { """{"dtype": "int8"}""", "dtype" },
        { """{"initializer_range": 0}""", "initializer_range" },
        { """{"model_type": "mistral"}""", "model_type" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AcceptedKeysAreApplied(string patch, string property, string expected)
    {
        var config = LoadPatched(patch);
        object? value = typeof(LlamaConfig).GetProperty(property)!.GetValue(config);
        string actual = value switch
        {
            null => "",
            RopeScaling r when r.RopeType == "linear" => FormattableString.Invariant($"linear {r.Factor}"),
            RopeScaling r => FormattableString.Invariant($"{r.RopeType} {r.Factor} {r.LowFreqFactor} {r.HighFreqFactor} {r.OriginalMaxPositionEmbeddings}"),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString()!,
        };
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedKeysAreNamedInOneLine(string patch, string key)
    {
        using var dir = new TempDir();
        string path = WritePatched(dir, patch);
        var e = Assert.Throws<LoraLabException>(() => LlamaConfig.Load(path));
        Assert.Contains($"'{key}", e.Message);
        Assert.StartsWith(path + ":", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AHugeIntegerIsOutOfRangeNotNotAnInteger()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LoraLabException>(() => LlamaConfig.Load(WritePatched(dir, """{"vocab_size": 1000000000000}""")));
        Assert.Contains("'vocab_size' is 1000000000000, out of range", e.Message);
    }

    private static LlamaConfig LoadPatched(string patch)
    {
        using var dir = new TempDir();
        return LlamaConfig.Load(WritePatched(dir, patch));
    }

    private static string WritePatched(TempDir dir, string patch)
    {
        string fixture = ConfigFixtures.PathOf("config-transformers5.json");
        var o = JsonNode.Parse(File.ReadAllText(fixture))!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject())
        {
            var target = o;
            string[] parts = key.Split('.');
            foreach (var part in parts[..^1]) target = target[part]!.AsObject();
            if (value is JsonValue v && v.TryGetValue(out string? s) && s == "$remove") target.Remove(parts[^1]);
            else target[parts[^1]] = value?.DeepClone();
        }
        string path = dir.File("config.json");
        File.WriteAllText(path, o.ToJsonString());
        return path;
    }
}
