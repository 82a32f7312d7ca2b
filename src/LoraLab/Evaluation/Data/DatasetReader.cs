using LoraLab.Data;

namespace LoraLab.Evaluation.Data;

/// <summary>
/// Reads a dataset file by its extension (.jsonl / .json lines, .jsonl.gz, or .parquet) into <see cref="DatasetRow"/>s;
/// the files themselves are read by <see cref="JsonlReader"/> and <see cref="ParquetFile"/>.
/// </summary>
public static class DatasetReader
{
    public static IReadOnlyList<DatasetRow> Read(string path)
    {
        string lower = path.ToLowerInvariant();
        if (lower.EndsWith(".parquet")) return ReadParquet(path);
        if (lower.EndsWith(".jsonl") || lower.EndsWith(".jsonl.gz") || lower.EndsWith(".json.gz") || lower.EndsWith(".json") || lower.EndsWith(".ndjson"))
            return ReadJsonl(path);
        throw new LoraLabException($"{path}: unknown dataset format; use a .jsonl, .jsonl.gz or .parquet file");
    }

    /// <summary>A JSON Lines file whatever its name (gzip when it ends in ".gz").</summary>
    public static IReadOnlyList<DatasetRow> ReadJsonl(string path) =>
        JsonlReader.ReadObjects(path).Select(r => new DatasetRow(r.Row, path, r.LineNo)).ToList();

    /// <summary>A Parquet file; a row's line is its 1-based row number.</summary>
    public static IReadOnlyList<DatasetRow> ReadParquet(string path) =>
        ParquetFile.ReadObjects(path).Select((row, i) => new DatasetRow(row, path, i + 1)).ToList();
}
