namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// A sample's disk budget: the bytes (apparent file sizes, so sparse files count in full) and entries under its working
/// directory. RLIMIT_FSIZE caps each file in the kernel; this total is measured by the host while the program runs
/// (every <see cref="PollInterval"/>, so a fast writer overshoots by at most what it writes in one interval, and never
/// past RLIMIT_FSIZE per file) and once more after it ends, so an over-budget run never passes. Symbolic links are
/// counted as entries and not followed; the seccomp layer refuses chmod, so no directory can be hidden from the count.
/// </summary>
internal static class DiskBudget
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The problem with <paramref name="dir"/>'s usage, or null when it is within the budget.</summary>
    public static string? Exceeded(string dir, SandboxOptions options)
    {
        long bytes = 0;
        int entries = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(dir));
        while (pending.Count > 0)
        {
            IEnumerable<FileSystemInfo> children;
            try
            {
                children = pending.Pop().EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true });
                foreach (var child in children)
                {
                    if (++entries > options.MaxEntries)
                        return $"sandbox: disk budget exceeded: more than {options.MaxEntries} files and folders";
                    if (child.LinkTarget is not null) continue;
                    if (child is DirectoryInfo d) pending.Push(d);
                    else if (child is FileInfo f) bytes += f.Length;
                    if (bytes > options.DiskBytes)
                        return $"sandbox: disk budget exceeded: more than {options.DiskBytes >> 20} MiB written in total";
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An entry that vanished while being listed: the next poll sees the directory as it is then.
            }
        }
        return null;
    }
}
