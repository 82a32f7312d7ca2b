using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LoraLab.Training;
using LoraLab.Training.Checkpointing;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// Identifies a model or adapter directory by content: the SHA-256 of each weight and config file directly in it
/// (*.safetensors, *.json, *.model), and one combined SHA-256 over the manifest that <c>sha256sum</c> would print for
/// them — lines "&lt;hex sha256&gt;  &lt;file name&gt;\n", files sorted by name (ordinal), hashed as UTF-8. In a training
/// checkpoint (a directory with <c>manifest.json</c>) the optimizer state is not part of the model and is left out:
/// its <c>optimizer.safetensors</c> is not hashed.
/// </summary>
public static class ModelIdentity
{
    public static readonly IReadOnlyList<string> Patterns = ["*.safetensors", "*.json", "*.model"];

    /// <summary>A model source's identity for results files: its base model and, when present, its own weights.</summary>
    public static (JsonObject Model, JsonObject? Weights) Of(ModelSource source) =>
        (Describe(source.Base.Path!), source.WeightsDirectory is null ? null : Describe(source.WeightsDirectory));

    public static JsonObject Describe(string dir)
    {
        // a single-file model (a llama2.c .bin) is identified by that file
        bool single = File.Exists(dir);
        if (!single && !Directory.Exists(dir)) throw new LoraLabException($"{dir}: model directory not found");
        bool checkpoint = !single && File.Exists(Path.Combine(dir, TrainingCheckpoint.ManifestFile));
        var files = single ? [dir] : Patterns.SelectMany(p => Directory.GetFiles(dir, p)).Distinct()
            .Where(f => !(checkpoint && Path.GetFileName(f) == TrainingCheckpoint.OptimizerFile))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new LoraLabException($"{dir}: no weight or config files (*.safetensors, *.json) to identify it by");
        var manifest = new StringBuilder();
        var list = new JsonArray();
        foreach (string f in files)
        {
            string hash = FileSha256(f);
            manifest.Append(hash).Append("  ").Append(Path.GetFileName(f)).Append('\n');
            list.Add(new JsonObject { ["name"] = Path.GetFileName(f), ["bytes"] = new FileInfo(f).Length, ["sha256"] = hash });
        }
        return new JsonObject
        {
            ["path"] = Path.GetFullPath(dir),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString()))),
            ["files"] = list,
        };
    }

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
