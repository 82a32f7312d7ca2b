using LoraLab.Evaluation.HumanEval;

namespace LoraLab.Tests.Evaluation.HumanEval;

internal static class SandboxTestSupport
{
    /// <summary>Classes that run sandboxes share one collection: runs are sequential, so the leftover-process check sees only its own.</summary>
    public const string Collection = "HumanEval sandbox";

    /// <summary>A sandbox with short limits, or a visible skip where Linux or python3 is missing.</summary>
    public static PythonSandbox Create(double timeoutSeconds = 2.0, long maxFileBytes = 64L << 20, long diskBytes = 128L << 20,
        int maxEntries = 10_000)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the HumanEval sandbox runs on Linux only");
        try
        {
            return new PythonSandbox(new SandboxOptions(TimeoutSeconds: timeoutSeconds, MemoryBytes: 1L << 30, MaxFileBytes: maxFileBytes, Workers: 2,
                DiskBytes: diskBytes, MaxEntries: maxEntries));
        }
        catch (LoraLabException e) when (e.Message.Contains("not found on PATH"))
        {
            Skip.If(true, "python3 is not installed: " + e.Message);
            throw;
        }
    }

    /// <summary>Processes still running in a sandbox temp dir (their cwd is under loralab-humaneval-*).</summary>
    public static List<int> LeftoverSandboxProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string? cwd = new FileInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is not null && cwd.Contains("loralab-humaneval-")) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }
}
