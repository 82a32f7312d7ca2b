using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Evaluation.Data;

/// <summary>Reads JSON Lines (plain or gzip-compressed, decided by the ".gz" extension): one JSON object per line.</summary>
public static class JsonlReader
{
    /// <summary>Reads every non-blank line as an object. A line that is not a JSON object → "file:line: …".</summary>
    public static IReadOnlyList<DatasetRow> Read(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: file not found; pass the path of a .jsonl or .jsonl.gz file");
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GzipReadStream(path) : File.OpenRead(path);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
        var rows = new List<DatasetRow>();
        long lineNo = 0;
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
            {
                throw new LoraLabException($"{path}:{lineNo + 1}: cannot decode ({e.Message}); the file must be UTF-8 JSONL (gzip only with a .gz name)", e);
            }
            if (line is null) break;
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows.Add(new DatasetRow(ParseObject(line, path, lineNo), path, lineNo));
        }
        return rows;
    }

    private static JsonObject ParseObject(string line, string path, long lineNo)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path}:{lineNo}: invalid JSON ({e.Message}); each line must be one JSON object", e);
        }
        return node as JsonObject
            ?? throw new LoraLabException($"{path}:{lineNo}: expected a JSON object per line, got {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}");
    }
}
