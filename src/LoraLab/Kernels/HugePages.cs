using System.Runtime.InteropServices;

namespace LoraLab.Kernels;

/// <summary>
/// Backs long-lived memory that is streamed again and again (a decoder's weights, read once per token) with 2 MiB
/// transparent huge pages. A streaming read over 4 KiB pages takes a TLB miss every 4 KiB, and under a hypervisor each
/// miss walks two page tables: on a 2-core Zen 4 VM, summing a 61 MB float32 matrix ran at 23 GB/s on one thread over
/// 4 KiB pages and at 33 GB/s once the same memory was collapsed into huge pages (run.c reads its checkpoint through the
/// page cache, which the kernel already keeps in large folios). Advice only: contents never change, failures are
/// ignored (no Linux, kernels before 6.1, THP disabled, no free huge page at the moment), and only whole 2 MiB pages
/// inside the given memory (gaps under 64 KiB between its spans included) are touched, so nothing else becomes resident.
/// </summary>
internal static partial class HugePages
{
    private const long PageBytes = 2L << 20;
    private const int MadvCollapse = 25; // Linux 6.1+: synchronously move the range's pages into huge pages

    /// <summary>
    /// Collapses every whole 2 MiB page inside the union of <paramref name="spans"/> (start address, bytes). Spans closer
    /// than 64 KiB count as one run (allocator headers and page padding between neighbouring allocations are mapped
    /// memory); returns the bytes the kernel collapsed.
    /// </summary>
    public static long Collapse(IEnumerable<(nint Start, long Bytes)> spans)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        long collapsed = 0;
        foreach (var (start, end) in Runs(spans, gap: 64L << 10))
        {
            for (long page = (start + PageBytes - 1) & ~(PageBytes - 1); page + PageBytes <= end; page += PageBytes)
            {
                if (Madvise((nint)page, (nuint)PageBytes, MadvCollapse) == 0) collapsed += PageBytes;
            }
        }
        return collapsed;
    }

    /// <summary>Merged [start, end) runs of the spans, neighbours closer than <paramref name="gap"/> bytes joined.</summary>
    internal static List<(long Start, long End)> Runs(IEnumerable<(nint Start, long Bytes)> spans, long gap)
    {
        var runs = new List<(long Start, long End)>();
        foreach (var (s, n) in spans.Where(s => s.Bytes > 0).OrderBy(s => (long)s.Start))
        {
            long start = s, end = s + n;
            if (runs.Count > 0 && start - runs[^1].End <= gap) runs[^1] = (runs[^1].Start, Math.Max(runs[^1].End, end));
            else runs.Add((start, end));
        }
        return runs;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
