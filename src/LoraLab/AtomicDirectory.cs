namespace LoraLab;

/// <summary>
/// Writes a directory through a temporary sibling (".tmp-NAME-XXXXXXXX") that is renamed into place when complete, so
/// a reader (or a resumed run after a kill) sees either the old directory, the new one, or none — never a partial one.
/// An existing target is first renamed aside (".old-…") and deleted after the new one is in place.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>The prefix of in-progress directories; scanners must ignore names starting with it.</summary>
    public const string TempPrefix = ".tmp-";

    /// <summary>Calls <paramref name="write"/> with an empty temporary directory, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? throw new LoraLabException($"{path}: cannot write a directory at the file system root");
        string name = Path.GetFileName(full);
        string temp = Path.Combine(parent, $"{TempPrefix}{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(full))
            {
                string old = Path.Combine(parent, $"{TempPrefix}old-{name}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Delete(old);
            }
            else
            {
                Directory.Move(temp, full);
            }
        }
        catch
        {
            Delete(temp);
            throw;
        }
    }

    /// <summary>Deletes a directory by renaming it to a temporary name first, so a half-deleted one is never mistaken for valid.</summary>
    public static void Delete(string path)
    {
        if (!Directory.Exists(path)) return;
        string target = path;
        string name = Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar));
        if (!name.StartsWith(TempPrefix, StringComparison.Ordinal))
        {
            target = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar))!,
                $"{TempPrefix}del-{name}-{Guid.NewGuid():N}");
            Directory.Move(path, target);
        }
        try { Directory.Delete(target, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
