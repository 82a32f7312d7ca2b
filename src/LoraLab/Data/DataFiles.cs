namespace LoraLab.Data;

/// <summary>
/// Expands the <c>paths</c> of a data section into files, so sharded exports (e.g. Hugging Face
/// <c>train-00000-of-00004.parquet</c> …) can be named at once:
/// <list type="bullet">
/// <item>a directory → its <c>.parquet</c>, <c>.jsonl</c> and <c>.txt</c> files (not recursive);</item>
/// <item>a file name with <c>*</c> or <c>?</c> (e.g. <c>data/train-*.parquet</c>) → the matching files of its directory;</item>
/// <item>anything else → itself.</item>
/// </list>
/// Expanded files are sorted by ordinal name, so the order (and the token cache's hash) does not depend on the file system.
/// </summary>
public static class DataFiles
{
    public static readonly string[] Extensions = [".parquet", ".jsonl", ".txt"];

    public static List<string> Expand(IReadOnlyList<string> paths)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            string name = Path.GetFileName(path);
            if (Directory.Exists(path))
            {
                var found = Directory.GetFiles(path).Where(f => Extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                    .Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new LoraLabException($"{path}: directory holds no {string.Join(", ", Extensions)} files; point data.paths " +
                    "at the data files");
                files.AddRange(found);
            }
            else if (name.IndexOfAny(['*', '?']) >= 0)
            {
                string dir = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
                if (dir.IndexOfAny(['*', '?']) >= 0) throw new LoraLabException($"{path}: wildcards are allowed in the file name only, not in directories");
                var found = Directory.Exists(dir) ? Directory.GetFiles(dir, name).Order(StringComparer.Ordinal).ToList() : [];
                if (found.Count == 0) throw new LoraLabException($"{path}: no file matches; check the pattern and the directory");
                files.AddRange(found);
            }
            else
            {
                files.Add(path);
            }
        }
        return files;
    }
}
