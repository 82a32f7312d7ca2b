using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraLab.Checkpoints;

/// <summary>
/// The Hugging Face shard index "model.safetensors.index.json":
/// {"metadata": {"total_size": N}, "weight_map": {tensor name: shard file name}}.
/// </summary>
internal static class SafetensorsIndex
{
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Reads the weight map (tensor name → shard file name) and checks every shard name is a plain file name.</summary>
    public static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(indexPath, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new LoraLabException($"{indexPath}: cannot read the shard index ({e.Message.ReplaceLineEndings(" ")}); check the file", e);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw Error(indexPath, $"not valid JSON ({e.Message.ReplaceLineEndings(" ")})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Error(indexPath, "must be a JSON object with a 'weight_map' object");
            if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw Error(indexPath, "missing 'weight_map' object");

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw Error(indexPath, $"weight_map entry '{entry.Name}' must be a shard file name string");
                string shard = entry.Value.GetString()!;
                if (shard.Length == 0 || System.IO.Path.GetFileName(shard) != shard || shard is "." or "..")
                    throw Error(indexPath, $"weight_map entry '{entry.Name}' names shard '{shard}', which is not a plain file name in the index's directory");
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw Error(indexPath, $"weight_map has the tensor '{entry.Name}' twice");
            }
            return weightMap;
        }
    }

    /// <summary>Writes the index (keys sorted, two-space indent, like transformers' save_pretrained) atomically.</summary>
    public static void Write(string indexPath, IReadOnlyDictionary<string, string> weightMap, long totalSize)
    {
        AtomicFile.Write(indexPath, stream =>
        {
            var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            using (var json = new Utf8JsonWriter(stream, options))
            {
                json.WriteStartObject();
                json.WriteStartObject("metadata");
                json.WriteNumber("total_size", totalSize);
                json.WriteEndObject();
                json.WriteStartObject("weight_map");
                foreach (var (name, shard) in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(name, shard);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        });
    }

    private static LoraLabException Error(string indexPath, string what) =>
        new($"{indexPath}: {what}; fix or regenerate the shard index");
}
