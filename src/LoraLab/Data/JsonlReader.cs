using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Data;

/// <summary>
/// The one reader of JSON Lines files (plain, or gzip when the name ends in ".gz"; strict UTF-8; blank lines skipped).
/// Every error names the file and line. <see cref="ReadObjects"/> returns whole rows (a bad row throws);
/// <see cref="ReadFields"/> returns named string fields, and can count bad rows instead of throwing.
/// </summary>
public static class JsonlReader
{
    /// <summary>The non-blank lines with their 1-based line numbers. Bytes that do not decode → "file:line: cannot decode".</summary>
    public static IEnumerable<(string Line, long LineNo)> Lines(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: file not found; pass the path of a .jsonl or .jsonl.gz file");
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GzipReadStream(path) : File.OpenRead(path);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
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
            if (line is null) yield break;
            lineNo++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (line, lineNo);
        }
    }

    /// <summary>Every non-blank line as an object. A line that is not a JSON object → "file:line: …".</summary>
    public static IReadOnlyList<(JsonObject Row, long LineNo)> ReadObjects(string path)
    {
        var rows = new List<(JsonObject, long)>();
        foreach (var (line, lineNo) in Lines(path))
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
            var row = node as JsonObject ?? throw new LoraLabException(
                $"{path}:{lineNo}: expected a JSON object per line, got {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}");
            rows.Add((row, lineNo));
        }
        return rows;
    }

    /// <summary>
    /// The named string fields of every row, in the order asked. A bad row (invalid JSON, not an object, missing field,
    /// field not a string) throws naming the file, line and field — or, with <paramref name="skipBadRows"/>, is counted.
    /// </summary>
    public static FieldRows ReadFields(string path, IReadOnlyList<string> fields, bool skipBadRows)
    {
        var rows = new List<string[]>();
        int bad = 0;
        string? firstBad = null;
        foreach (var (line, lineNo) in Lines(path))
        {
            string? error = TryParse(line, fields, out var values);
            if (error == null)
            {
                rows.Add(values!);
                continue;
            }
            string message = $"{path}:{lineNo}: {error}";
            if (!skipBadRows) throw new LoraLabException(message + " (fix the row, or set data.skip_bad_rows: true to skip such rows)");
            bad++;
            firstBad ??= message;
        }
        return new FieldRows(rows, bad, firstBad);
    }

    private static string? TryParse(string line, IReadOnlyList<string> fields, out string[]? values)
    {
        values = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            return $"invalid JSON ({e.Message.Split('.')[0]})";
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return $"row is a JSON {doc.RootElement.ValueKind}, expected an object";
            var result = new string[fields.Count];
            for (int i = 0; i < fields.Count; i++)
            {
                if (!doc.RootElement.TryGetProperty(fields[i], out var v))
                    return $"field '{fields[i]}' is missing (row has: {string.Join(", ", doc.RootElement.EnumerateObject().Select(p => p.Name))})";
                if (v.ValueKind != JsonValueKind.String) return $"field '{fields[i]}' is a JSON {v.ValueKind}, expected a string";
                result[i] = v.GetString()!;
            }
            values = result;
            return null;
        }
    }
}
