using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static LoraLab.Tests.Checkpoints.HandMadeSafetensors;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

public class SafetensorsCheckpointTests
{
    private static List<KeyValuePair<string, Tensor>> FiveTensors()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < 5; i++)
        {
            using Scalar value = ((float)i).ToScalar();
            tensors.Add(new($"layers.{i}.w", full(4, value))); // 16 bytes each
        }
        return tensors;
    }

    [Fact]
    public void ShardedWriteSplitsGreedilyAndReadsBack()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var tensors = FiveTensors();
        SafetensorsCheckpoint.WriteSharded(dir.Path, tensors, maxShardBytes: 40, new Dictionary<string, string> { ["format"] = "pt" });

        // 16 + 16 fit in 40, a third would not: shards of 2, 2 and 1 tensors.
        string[] expectedFiles = ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
            "model.safetensors.index.json"];
        Assert.Equal(expectedFiles, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using (var doc = JsonDocument.Parse(File.ReadAllText(dir.File("model.safetensors.index.json"))))
        {
            Assert.Equal(80, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = doc.RootElement.GetProperty("weight_map");
            Assert.Equal("model-00001-of-00003.safetensors", map.GetProperty("layers.1.w").GetString());
            Assert.Equal("model-00002-of-00003.safetensors", map.GetProperty("layers.2.w").GetString());
            Assert.Equal("model-00003-of-00003.safetensors", map.GetProperty("layers.4.w").GetString());
        }

        using var ckpt = SafetensorsCheckpoint.Open(dir.Path);
        Assert.Equal(5, ckpt.TensorNames.Count);
        Assert.Equal(3, ckpt.Files.Count);
        Assert.Equal("pt", ckpt.Metadata["format"]);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(ckpt.Contains($"layers.{i}.w"));
            Assert.Equal([(float)i, i, i, i], ckpt.ReadTensor($"layers.{i}.w").data<float>().ToArray());
        }
        Assert.EndsWith("model-00002-of-00003.safetensors", ckpt.FileOf("layers.3.w"));
        Assert.Equal(SafetensorsDType.F32, ckpt.Info("layers.3.w").DType);
        var e = Assert.Throws<LoraLabException>(() => ckpt.ReadTensor("lm_head.weight"));
        Assert.Contains("lm_head.weight", e.Message);
    }

    [Fact]
    public void FittingTensorsGoToOneFileAndStaleShardsAreRemoved()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var tensors = FiveTensors();
        SafetensorsCheckpoint.WriteSharded(dir.Path, tensors, maxShardBytes: 40);
        SafetensorsCheckpoint.WriteSharded(dir.Path, tensors, maxShardBytes: 80); // 80 bytes fit exactly

        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        using var ckpt = SafetensorsCheckpoint.Open(dir.Path);
        Assert.Equal(5, ckpt.TensorNames.Count);
        Assert.Equal([4f, 4f, 4f, 4f], ckpt.ReadTensor("layers.4.w").data<float>().ToArray());
    }

    [Fact]
    public void ShardedWriteValidatesEverythingBeforeWritingAnyFile()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var tensors = FiveTensors();
        tensors.Add(new("layers.0.w", ones(4)));
        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.WriteSharded(dir.Path, tensors, maxShardBytes: 40));
        Assert.Contains("layers.0.w", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void IndexPointingAtMissingShardIsAnError()
    {
        using var dir = new TempDir();
        Write(dir.File("model-00001-of-00002.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [1]);
        File.WriteAllText(dir.File("model.safetensors.index.json"),
            "{\"metadata\":{\"total_size\":2},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");

        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void IndexEntryAbsentFromItsShardIsAnError()
    {
        using var dir = new TempDir();
        Write(dir.File("model-00001-of-00001.safetensors"), "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [1]);
        File.WriteAllText(dir.File("model.safetensors.index.json"),
            "{\"weight_map\":{\"a\":\"model-00001-of-00001.safetensors\",\"ghost\":\"model-00001-of-00001.safetensors\"}}");

        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("'ghost'", e.Message);
    }

    [Fact]
    public void IndexShardOutsideTheDirectoryIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../elsewhere.safetensors\"}}");
        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void DirectoryWithoutIndexUsesEverySafetensorsFile()
    {
        using var dir = new TempDir();
        Write(dir.File("adapter.safetensors"), "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [3]);
        Write(dir.File("extra.safetensors"), "{\"y\":{\"dtype\":\"I16\",\"shape\":[],\"data_offsets\":[0,2]}}", U16(0xFFFE));

        using var ckpt = SafetensorsCheckpoint.Open(dir.Path);
        Assert.Equal(["x", "y"], ckpt.TensorNames);
        Assert.Equal((short)-2, ckpt.ReadTensor("y").item<short>());

        using var single = SafetensorsCheckpoint.Open(dir.File("extra.safetensors"));
        Assert.Equal(["y"], single.TensorNames);
    }

    [Fact]
    public void SameTensorInTwoUnindexedFilesIsAnError()
    {
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [3]);
        Write(dir.File("b.safetensors"), "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [4]);
        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("b.safetensors", e.Message);
    }

    [Fact]
    public void DirectoryWithoutWeightsIsAnError()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Throws<LoraLabException>(() => SafetensorsCheckpoint.Open(dir.File("nothing-here")));
    }
}
