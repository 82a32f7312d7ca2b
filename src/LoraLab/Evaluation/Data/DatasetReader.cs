namespace LoraLab.Evaluation.Data;

/// <summary>Reads a dataset file by its extension: .jsonl / .json lines, .jsonl.gz, or .parquet.</summary>
public static class DatasetReader
{
    public static IReadOnlyList<DatasetRow> Read(string path)
    {
        string lower = path.ToLowerInvariant();
        if (lower.EndsWith(".parquet")) return ParquetRowReader.Read(path);
        if (lower.EndsWith(".jsonl") || lower.EndsWith(".jsonl.gz") || lower.EndsWith(".json.gz") || lower.EndsWith(".json") || lower.EndsWith(".ndjson"))
            return JsonlReader.Read(path);
        throw new LoraLabException($"{path}: unknown dataset format; use a .jsonl, .jsonl.gz or .parquet file");
    }
}
