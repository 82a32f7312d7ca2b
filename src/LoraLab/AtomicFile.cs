using System.Text;

namespace LoraLab;

/// <summary>
/// Writes files through a temporary sibling ("path.tmp-XXXXXXXX") renamed over the target, so a reader never sees a
/// half-written file and an interrupted write leaves the old file intact. The temp file is removed on failure.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string contents) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(contents)));

    public static void WriteAllBytes(string path, byte[] contents) => Write(path, stream => stream.Write(contents));

    /// <summary>Writes UTF-8 text (no BOM) through a <see cref="StreamWriter"/>.</summary>
    public static void WriteText(string path, Action<StreamWriter> write) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true);
        write(writer);
    });

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> through a temporary file.</summary>
    public static void Copy(string source, string destination) => Write(destination, stream =>
    {
        using var input = File.OpenRead(source);
        input.CopyTo(stream);
    });

    /// <summary>Calls <paramref name="write"/> with a stream on a temporary file beside <paramref name="path"/>, then renames it over the target.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            if (dir != null) Directory.CreateDirectory(dir);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (e is IOException or UnauthorizedAccessException)
                throw new LoraLabException($"{path}: cannot write file ({e.Message.ReplaceLineEndings(" ")}); check the directory exists, is writable " +
                    "and has space.", e);
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> is named like this class's temporaries ("NAME.tmp-" + 8 hex digits).</summary>
    public static bool IsTemporary(string path)
    {
        string name = Path.GetFileName(path);
        int at = name.LastIndexOf(".tmp-", StringComparison.Ordinal);
        return at > 0 && name.Length - at - 5 == 8 && name[(at + 5)..].All(char.IsAsciiHexDigitLower);
    }

    internal static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
