using System.Globalization;
using System.Text.Json;
using LoraLab.Checkpoints;
using static TorchSharp.torch;

namespace LoraLab.Training.Checkpointing;

/// <summary>
/// Training checkpoints in <c>{run}/checkpoints/step-000123/</c>: <c>model.safetensors</c> (the trainable tensors:
/// adapters only for LoRA, every state-dict tensor for full finetuning), <c>optimizer.safetensors</c> (state tensors
/// named "{parameter index}.{state}") and <c>manifest.json</c>. A checkpoint is written into a temporary sibling and
/// renamed into place, so a directory named step-* is always complete; <see cref="FindLatest"/> scans for them.
/// </summary>
public static class TrainingCheckpoint
{
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string ManifestFile = "manifest.json";
    public const string DirPrefix = "step-";

    public static readonly JsonSerializerOptions Json = JsonFormats.SnakeCase;

    /// <summary>The directory name of a step: "step-000123".</summary>
    public static string DirName(long step) => DirPrefix + step.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Writes a checkpoint atomically and returns its directory.</summary>
    public static string Save(string checkpointsDir, CheckpointManifest manifest, IReadOnlyList<KeyValuePair<string, Tensor>> modelTensors,
        OptimizerState optimizer)
    {
        string dir = Path.Combine(checkpointsDir, DirName(manifest.Step));
        AtomicDirectory.Write(dir, tmp =>
        {
            SafetensorsWriter.Write(Path.Combine(tmp, ModelFile), modelTensors, new Dictionary<string, string> { ["format"] = "pt" });
            var opt = optimizer.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KeyValuePair<string, Tensor>(kv.Key,
                kv.Value.contiguous())).ToList();
            SafetensorsWriter.Write(Path.Combine(tmp, OptimizerFile), opt, new Dictionary<string, string> { ["format"] = "loralab-optimizer" });
            AtomicFile.WriteAllText(Path.Combine(tmp, ManifestFile), JsonSerializer.Serialize(manifest, Json));
        });
        return dir;
    }

    /// <summary>Reads and checks a checkpoint's manifest.</summary>
    public static CheckpointManifest ReadManifest(string checkpointDir)
    {
        string path = Path.Combine(checkpointDir, ManifestFile);
        if (!File.Exists(path))
            throw new LoraLabException($"{checkpointDir}: not a training checkpoint ({ManifestFile} is missing); give a checkpoints/step-NNNNNN directory");
        CheckpointManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path}: not a valid checkpoint manifest ({e.Message})");
        }
        if (m == null || m.FormatVersion != CheckpointManifest.CurrentFormatVersion)
            throw new LoraLabException($"{path}: checkpoint format {m?.FormatVersion} is not {CheckpointManifest.CurrentFormatVersion}; it was written " +
                "by another LoraLab version");
        foreach (string f in new[] { ModelFile, OptimizerFile })
            if (!File.Exists(Path.Combine(checkpointDir, f))) throw new LoraLabException($"{checkpointDir}: {f} is missing; the checkpoint is damaged, " +
                "resume from an earlier one");
        return m;
    }

    /// <summary>The complete checkpoints in a directory, oldest first (in-progress temporaries and foreign folders are ignored).</summary>
    public static IReadOnlyList<(long Step, string Dir)> List(string checkpointsDir)
    {
        if (!Directory.Exists(checkpointsDir)) return [];
        var found = new List<(long, string)>();
        foreach (string dir in Directory.GetDirectories(checkpointsDir))
        {
            string name = Path.GetFileName(dir);
            if (!name.StartsWith(DirPrefix, StringComparison.Ordinal)) continue;
            if (!long.TryParse(name[DirPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long step)) continue;
            // Checkpoints are renamed into place complete: a step directory without its manifest is damage, never a
            // save in progress, and skipping it would silently resume from an earlier step (or from 0).
            if (!File.Exists(Path.Combine(dir, ManifestFile)))
                throw new LoraLabException($"{dir}: checkpoint directory without {ManifestFile} (damaged, or not written by LoraLab); "
                    + "move it out of checkpoints/ to resume from the checkpoint before it, or give load_path explicitly");
            found.Add((step, dir));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public static string? FindLatest(string checkpointsDir) => List(checkpointsDir) is { Count: > 0 } all ? all[^1].Dir : null;

    /// <summary>
    /// Removes what interrupted writes leave in a run directory: <see cref="AtomicDirectory"/> temporaries (".tmp-*": a
    /// checkpoint, final/ or final-merged/ being saved, or an old one being replaced) there and in checkpoints/, and
    /// <see cref="AtomicFile"/> temporaries ("NAME.tmp-XXXXXXXX"). Call it when a command starts on the run directory,
    /// before anything is written there; nothing ever reads a temporary.
    /// </summary>
    public static void RemoveTemporaries(string runDir)
    {
        foreach (string dir in new[] { runDir, Path.Combine(runDir, Trainer.CheckpointsDirName) })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (string stale in Directory.GetDirectories(dir, AtomicDirectory.TempPrefix + "*")) AtomicDirectory.Delete(stale);
            foreach (string file in Directory.GetFiles(dir, "*.tmp-*"))
                if (AtomicFile.IsTemporary(file)) AtomicFile.TryDelete(file);
        }
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints (-1 keeps all) and leftover temporaries.</summary>
    public static void Prune(string checkpointsDir, int keep)
    {
        if (!Directory.Exists(checkpointsDir)) return;
        foreach (string stale in Directory.GetDirectories(checkpointsDir, AtomicDirectory.TempPrefix + "*")) AtomicDirectory.Delete(stale);
        if (keep < 0) return;
        var all = List(checkpointsDir);
        for (int i = 0; i < all.Count - keep; i++) AtomicDirectory.Delete(all[i].Dir);
    }

    /// <summary>Reads the optimizer state of a checkpoint (the caller disposes it).</summary>
    public static OptimizerState ReadOptimizer(string checkpointDir, CheckpointManifest m)
    {
        using var reader = SafetensorsReader.Open(Path.Combine(checkpointDir, OptimizerFile));
        var tensors = new Dictionary<string, Tensor>();
        foreach (var info in reader.Tensors) tensors[info.Name] = reader.ReadTensor(info.Name).DetachFromDisposeScope();
        return new OptimizerState(m.OptimizerName, m.OptimizerStep, m.Lr, m.InitialLr, m.TrainableParameters.Count, tensors);
    }
}
