using System.Security.Cryptography;
using System.Text;
using LoraLab.Evaluation.Suite;

namespace LoraLab.Tests.Evaluation.Suite;

public class ModelIdentityTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("loralab-identity-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // The manifest hashed as sha256sum prints it: "<hex>  <name>\n" per file, by name.
    private static string Expected(params (string Name, string Text)[] files)
    {
        var manifest = new StringBuilder();
        foreach (var (name, text) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
            manifest.Append(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))).Append("  ").Append(name).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString())));
    }

    [Fact]
    public void ATrainingCheckpointIsIdentifiedWithoutItsOptimizerState()
    {
        File.WriteAllText(Path.Combine(dir, "model.safetensors"), "weights");
        File.WriteAllText(Path.Combine(dir, "optimizer.safetensors"), "moments");
        File.WriteAllText(Path.Combine(dir, "manifest.json"), "{}");
        var identity = ModelIdentity.Describe(dir);
        Assert.Equal(Expected(("model.safetensors", "weights"), ("manifest.json", "{}")), identity["sha256"]!.GetValue<string>());
        Assert.Equal(2, identity["files"]!.AsArray().Count);

        // other optimizer state, the same model: the same identity
        File.WriteAllText(Path.Combine(dir, "optimizer.safetensors"), "other moments");
        Assert.Equal(identity["sha256"]!.GetValue<string>(), ModelIdentity.Describe(dir)["sha256"]!.GetValue<string>());
    }

    [Fact]
    public void OutsideACheckpointEverySafetensorsFileCounts()
    {
        File.WriteAllText(Path.Combine(dir, "model.safetensors"), "weights");
        File.WriteAllText(Path.Combine(dir, "optimizer.safetensors"), "moments");
        Assert.Equal(Expected(("model.safetensors", "weights"), ("optimizer.safetensors", "moments")),
            ModelIdentity.Describe(dir)["sha256"]!.GetValue<string>());
    }
}
