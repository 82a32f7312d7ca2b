using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Models.Llama;

public class LlamaConfigTests
{
    // A Llama-3.1-style config.json, as Hugging Face writes it.
    private const string Llama31Json = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
          "rope_theta": 500000.0, "max_position_embeddings": 131072, "vocab_size": 128256,
          "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "tie_word_embeddings": false, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
          "torch_dtype": "bfloat16", "hidden_act": "silu", "attention_bias": false, "mlp_bias": false
        }
        """;

    [Fact]
    public void ReadsHuggingFaceLlama31Config()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), Llama31Json);
        var c = LlamaConfig.Load(dir.File("config.json"));
        Assert.Equal(4096, c.HiddenSize);
        Assert.Equal(8, c.NumKeyValueHeads);
        Assert.Equal(4, c.NumKeyValueGroups);
        Assert.Equal(128, c.HeadDim); // hidden_size / num_attention_heads when head_dim is absent
        Assert.Equal("llama3", c.RopeScaling!.RopeType);
        Assert.Equal(8192, c.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal(128001, c.EosTokenId);
        Assert.Equal(new[] { 128001, 128008, 128009 }, c.AllEosTokenIds);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.False(c.TieWordEmbeddings);
    }

    [Fact]
    public void SaveThenLoadKeepsEveryField()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("in.json"), Llama31Json);
        var c = LlamaConfig.Load(dir.File("in.json"));
        c.Save(dir.File("out.json"));
        Assert.Equal(c with { ExtraEosTokenIds = Array.Empty<int>() }, LlamaConfig.Load(dir.File("out.json")) with { ExtraEosTokenIds = Array.Empty<int>() });
        Assert.Equal(c.AllEosTokenIds, LlamaConfig.Load(dir.File("out.json")).AllEosTokenIds);
    }

    [Theory]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"mistral\"", "model_type")]
    [InlineData("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"", "rope_type")]
    [InlineData("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 7", "num_key_value_heads")]
    [InlineData("\"hidden_size\": 4096,", "", "hidden_size")]
    [InlineData("\"vocab_size\": 128256", "\"vocab_size\": \"big\"", "vocab_size")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act")]
    [InlineData("\"torch_dtype\": \"bfloat16\"", "\"torch_dtype\": \"int8\"", "torch_dtype")]
    public void RefusesUnsupportedOrMalformedValuesNamingTheField(string from, string to, string field)
    {
        using var dir = new TempDir();
        string path = dir.File("config.json");
        File.WriteAllText(path, Llama31Json.Replace(from, to));
        var e = Assert.Throws<LoraLabException>(() => LlamaConfig.Load(path));
        Assert.Contains(field, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RefusesInvalidJsonAndMissingFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<LoraLabException>(() => LlamaConfig.Load(dir.File("config.json"))).Message);
        Assert.Contains("not found", Assert.Throws<LoraLabException>(() => LlamaConfig.Load(dir.File("nope.json"))).Message);
    }
}
