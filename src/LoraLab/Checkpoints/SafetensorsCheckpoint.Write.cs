using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

public sealed partial class SafetensorsCheckpoint
{
    /// <summary>
    /// Writes <paramref name="tensors"/> into <paramref name="dir"/>: one "model.safetensors" if the tensor bytes fit in
    /// <paramref name="maxShardBytes"/>, else "model-0000i-of-0000n.safetensors" shards (filled greedily in the given order;
    /// a tensor larger than the limit gets a shard of its own) plus "model.safetensors.index.json" with
    /// total_size = sum of tensor bytes. Every file is written atomically and the index last. Files of an earlier save
    /// that the new layout does not use (a stale index, model.safetensors, or model-*-of-*.safetensors shards) are removed
    /// afterwards so the directory cannot be read as the old checkpoint. The tensors are not disposed.
    /// </summary>
    public static void WriteSharded(string dir, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(tensors);
        if (maxShardBytes <= 0)
            throw new LoraLabException($"{dir}: the maximum shard size must be positive (got {maxShardBytes}); pass a size in bytes such as 5000000000");

        // Validate the whole set (names unique across shards, CPU, dtypes) before writing any file.
        SafetensorsWriter.Prepare(dir, tensors);
        Directory.CreateDirectory(dir);

        var shards = new List<List<KeyValuePair<string, Tensor>>>();
        long totalSize = 0, current = 0;
        foreach (var kv in tensors)
        {
            long bytes = SafetensorsWriter.ByteSize(kv.Value);
            if (shards.Count == 0 || (current + bytes > maxShardBytes && current > 0))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(kv);
            current += bytes;
            totalSize += bytes;
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count <= 1)
        {
            SafetensorsWriter.Write(System.IO.Path.Combine(dir, SingleFileName), tensors, metadata);
            written.Add(SingleFileName);
        }
        else
        {
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < shards.Count; i++)
            {
                string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafetensorsWriter.Write(System.IO.Path.Combine(dir, name), shards[i], metadata);
                written.Add(name);
                foreach (var kv in shards[i]) weightMap.Add(kv.Key, name);
            }
            SafetensorsIndex.Write(System.IO.Path.Combine(dir, SafetensorsIndex.FileName), weightMap, totalSize);
            written.Add(SafetensorsIndex.FileName);
        }

        RemoveStaleFiles(dir, written);
    }

    private static void RemoveStaleFiles(string dir, HashSet<string> keep)
    {
        foreach (string file in Directory.GetFiles(dir))
        {
            string name = System.IO.Path.GetFileName(file);
            bool ours = name is SingleFileName or SafetensorsIndex.FileName || ShardNamePattern().IsMatch(name);
            if (!ours || keep.Contains(name)) continue;
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LoraLabException($"{file}: cannot remove this file left from an earlier save ({e.Message}); delete it by hand, it no longer " +
                    "matches the checkpoint", e);
            }
        }
    }
}
