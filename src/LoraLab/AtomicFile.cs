namespace LoraLab;

/// <summary>Writes files through a temporary sibling and a rename, so a reader never sees a half-written file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string contents) => Write(path, tmp => File.WriteAllText(tmp, contents));

    public static void WriteAllBytes(string path, byte[] contents) => Write(path, tmp => File.WriteAllBytes(tmp, contents));

    /// <summary>Calls <paramref name="writeTo"/> with a temporary path beside <paramref name="path"/>, then renames it over the target.</summary>
    public static void Write(string path, Action<string> writeTo)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir != null) Directory.CreateDirectory(dir);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            writeTo(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
