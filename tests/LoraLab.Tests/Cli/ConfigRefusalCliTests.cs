using System.Text.Json.Nodes;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

/// <summary>config.json keys LoraLab does not apply, through the CLI: exit 2, one line naming config.json and the key.</summary>
public class ConfigRefusalCliTests
{
    internal static string ModelDirWith(TempDir dir, Action<JsonObject> edit)
    {
        string fixture = ConfigFixtures.PathOf("config-transformers5.json");
        var o = JsonNode.Parse(File.ReadAllText(fixture))!.AsObject();
        edit(o);
        string model = dir.File("model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), o.ToJsonString());
        return model;
    }

    internal static void AssertOneLineRefusal(CliRun.Result r, string key)
    {
        Assert.Equal(2, r.ExitCode);
        string err = r.StdErr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.Contains("config.json", err);
        Assert.Contains(key, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData("rope_parameters.rope_type", "yarn")]
    [InlineData("rope_parameters.rope_type", "banana")]
    [InlineData("attention_bias", "true")]
    [InlineData("hidden_act", "gelu")]
    public void GenerateRefusesAMathChangingKey(string key, string value)
    {
        using var dir = new TempDir();
        string model = ModelDirWith(dir, o =>
        {
            var parts = key.Split('.');
            var target = parts.Length == 2 ? o[parts[0]]!.AsObject() : o;
            target[parts[^1]] = value == "true" ? JsonValue.Create(true) : JsonValue.Create(value);
        });
        AssertOneLineRefusal(CliRun.Run("generate", "--model", model, "--prompt", "x"), key);
    }
}
