using System.Text.Json;

namespace LoraLab.Data;

/// <summary>
/// Reads string fields from a JSONL file (one JSON object per line; blank lines are skipped). A bad row (invalid JSON,
/// not an object, missing field, field not a string) throws a <see cref="LoraLabException"/> naming the file, line and
/// field — or, with <c>skipBadRows</c>, is counted in <see cref="BadRows"/> (first reason in <see cref="FirstBadRow"/>).
/// </summary>
public sealed class JsonlReader
{
    private JsonlReader(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Rows skipped as bad (only with skipBadRows).</summary>
    public int BadRows { get; private set; }

    /// <summary>The message of the first skipped row, or null.</summary>
    public string? FirstBadRow { get; private set; }

    /// <summary>Reads the named fields of every row; each result row holds the fields in the order asked.</summary>
    public static (List<string[]> Rows, JsonlReader Report) ReadFields(string path, IReadOnlyList<string> fields, bool skipBadRows)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: data file not found");
        var reader = new JsonlReader(path);
        var rows = new List<string[]>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? error = TryParse(line, fields, out var values);
            if (error == null)
            {
                rows.Add(values!);
                continue;
            }
            string message = $"{path}:{lineNo}: {error}";
            if (!skipBadRows) throw new LoraLabException(message + " (fix the row, or set data.skip_bad_rows: true to skip such rows)");
            reader.BadRows++;
            reader.FirstBadRow ??= message;
        }
        return (rows, reader);
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
