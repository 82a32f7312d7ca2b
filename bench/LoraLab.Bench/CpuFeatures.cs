namespace LoraLab.Bench;

/// <summary>What the CPU offers for bfloat16 (amp_bf16's matmuls), from the kernel's /proc/cpuinfo flags.</summary>
public static class CpuFeatures
{
    public static string Bf16Support()
    {
        if (!File.Exists("/proc/cpuinfo")) return "unknown (no /proc/cpuinfo)";
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?
            .Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() ?? [];
        var found = new[] { "avx512_bf16", "amx_bf16" }.Where(flags.Contains).ToList();
        return found.Count > 0
            ? string.Join(" + ", found) + " (bf16 dot products in hardware)"
            : "none (no avx512_bf16/amx_bf16: bf16 matmuls convert to fp32 and are not faster)";
    }
}
