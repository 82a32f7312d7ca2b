using System.Text;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Checkpoints;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Peft;

public class PeftAdapterTests
{
    [Fact]
    public void AdapterMadeElsewhereInPeftFormatLoads()
    {
        using var dir = new TempDir();
        using var baseModel = new LlamaForCausalLM(TinyLlama.Config());
        LlamaCheckpoint.Save(baseModel, dir.File("base"));
        // An adapter as PEFT writes it: r = 1, α = 4 (s = 4) on layer 0's q_proj only (hidden 32, q out 32).
        // A = e_0ᵀ (1 × 32), B = 0.25 · 1 (32 × 1)  →  ΔW = 4 · 0.25 · 1 e_0ᵀ: ones in column 0.
        Directory.CreateDirectory(dir.File("adapter"));
        File.WriteAllText(dir.File("adapter/adapter_config.json"), """
            {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 1, "lora_alpha": 4, "lora_dropout": 0.0,
             "target_modules": ["q_proj"], "bias": "none", "use_rslora": false, "fan_in_fan_out": false,
             "base_model_name_or_path": "tiny", "modules_to_save": null, "rank_pattern": {}, "alpha_pattern": {}}
            """);
        var a = new float[32]; a[0] = 1;
        var b = Enumerable.Repeat(0.25f, 32).ToArray();
        var data = new List<byte>();
        data.AddRange(F32(a));
        data.AddRange(F32(b));
        var header = "{\"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[1,32],\"data_offsets\":[0,128]},"
                   + "\"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight\":{\"dtype\":\"F32\",\"shape\":[32,1],\"data_offsets\":[128,256]}}";
        // PEFT adapters target every layer; this one was trimmed to layer 0, so layer 1 has no tensors and must be refused…
        HandMadeSafetensors.Write(dir.File("adapter/adapter_model.safetensors"), header, data.ToArray());
        var e = Assert.Throws<LoraLabException>(() => PeftAdapter.LoadWithBase(dir.File("base"), dir.File("adapter")));
        Assert.Contains("layers.1.self_attn.q_proj.lora_A", e.Message);
        // …and with layer 1 included (zeros) it loads, with ΔW exactly as computed by hand.
        header = header[..^1] + ","
            + "\"base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight\":{\"dtype\":\"F32\",\"shape\":[1,32],\"data_offsets\":[256,384]},"
            + "\"base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight\":{\"dtype\":\"F32\",\"shape\":[32,1],\"data_offsets\":[384,512]}}";
        data.AddRange(new byte[256]);
        HandMadeSafetensors.Write(dir.File("adapter/adapter_model.safetensors"), header, data.ToArray());
        using var model = PeftAdapter.LoadWithBase(dir.File("base"), dir.File("adapter"));
        var layers = LoraModules.Find(model);
        Assert.Equal(2, layers.Count);
        using var delta = layers[0].Layer.DeltaWeight();
        var d = delta.data<float>().ToArray();
        for (int row = 0; row < 32; row++)
            for (int col = 0; col < 32; col++)
                Assert.Equal(col == 0 ? 1f : 0f, d[row * 32 + col]);
    }

    [Fact]
    public void SaveThenLoadReproducesTheAdaptedModel()
    {
        using var dir = new TempDir();
        manual_seed(5);
        var lora = new LoraConfig(4, new[] { "attention", "mlp" }, alpha: 16, dropout: 0.05, useRslora: true);
        using var model = LoraModel.Create(TinyLlama.Config(), ScalarType.Float32, lora);
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(model)) layer.LoraB.normal_(0, 0.1);
        LoraModel.SaveMerged(model, dir.File("merged"));
        // the base is what the adapter was trained on: save the un-adapted weights as the base
        using (var plain = new LlamaForCausalLM(model.Config))
        {
            foreach (var (name, p) in plain.state_dict()) using (no_grad()) p.copy_(model.state_dict()[name]);
            LlamaCheckpoint.Save(plain, dir.File("base"));
        }
        PeftAdapter.Save(model, dir.File("adapter"), "base");
        string config = File.ReadAllText(dir.File("adapter/adapter_config.json"));
        Assert.Contains("\"peft_type\": \"LORA\"", config);
        Assert.Contains("\"use_rslora\": true", config);
        using (var st = SafetensorsReader.Open(dir.File("adapter/adapter_model.safetensors")))
        {
            Assert.Contains(st.Tensors, t => t.Name == "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
            Assert.Equal(2 * 7 * 2, st.Tensors.Count);
        }
        using var loaded = PeftAdapter.LoadWithBase(dir.File("base"), dir.File("adapter"));
        Assert.Equal(lora.Scaling, LoraModules.Find(loaded)[0].Layer.Scaling);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 1, 4, 9, 16, 25 }, new long[] { 1, 5 });
        Assert.True(model.Forward(ids).allclose(loaded.Forward(ids), rtol: 0, atol: 1e-5));
    }

    [Theory]
    [InlineData("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "peft_type")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"all\"", "bias")]
    [InlineData("\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 8}", "rank_pattern")]
    [InlineData("\"target_modules\": [\"q_proj\"]", "\"target_modules\": [\"c_attn\"]", "c_attn")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"layers_to_transform\": 3", "layers_to_transform")]         // an int is one layer
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"layers_to_transform\": [0, 1]", "layers_to_transform")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"exclude_modules\": \".*layers\\\\.0\\\\..*\"", "exclude_modules")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"exclude_modules\": [\"down_proj\"]", "exclude_modules")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"target_parameters\": [\"experts.gate_up_proj\"]", "target_parameters")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"layer_replication\": [[0, 2]]", "layer_replication")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"lora_bias\": true", "lora_bias")]
    [InlineData("\"bias\": \"none\"", "\"bias\": \"none\", \"modules_to_save\": [\"lm_head\"]", "modules_to_save")]
    public void UnsupportedAdapterConfigsAreRefused(string from, string to, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("adapter_config.json"), """
            {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"], "bias": "none", "rank_pattern": {}}
            """.Replace(from, to));
        var e = Assert.Throws<LoraLabException>(() => PeftAdapter.ReadConfig(dir.Path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PeftsSavedDefaultsForUnusedFeaturesAreAccepted()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("adapter_config.json"), """
            {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"], "bias": "none",
             "modules_to_save": null, "layers_to_transform": null, "layers_pattern": null, "exclude_modules": null,
             "target_parameters": null, "layer_replication": null, "lora_bias": false, "rank_pattern": {}, "alpha_pattern": {}}
            """);
        var (config, _) = PeftAdapter.ReadConfig(dir.Path);
        Assert.Equal(["q_proj", "v_proj"], config.TargetModules);
    }

    private static byte[] F32(float[] v)
    {
        var bytes = new byte[v.Length * 4];
        Buffer.BlockCopy(v, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
