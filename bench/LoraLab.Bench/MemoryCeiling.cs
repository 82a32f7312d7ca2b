using System.Diagnostics;
using System.Runtime.InteropServices;
using LoraLab.Kernels;

namespace LoraLab.Bench;

/// <summary>
/// The machine's streaming-read ceiling for a batch-1 decoder: dot products over a 64 MiB float32 matrix held in huge
/// pages, rows split over the decoder's threads as its matrix-vector products are — what a token costs when nothing but
/// reading its weights did. Best of several passes, in GB/s.
/// </summary>
public static unsafe class MemoryCeiling
{
    public static double MeasureGBps(int threads, int passes = 8)
    {
        const int n = 288; // a stories15M row
        const long bytes = 64L << 20;
        int rows = (int)(bytes / (n * sizeof(float)));
        var w = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 2 << 20);
        var x = (float*)NativeMemory.AlignedAlloc(n * sizeof(float), 64);
        var y = (float*)NativeMemory.AlignedAlloc((nuint)rows * sizeof(float), 64);
        try
        {
            new Span<float>(w, (int)(bytes / sizeof(float))).Fill(0.01f);
            new Span<float>(x, n).Fill(1f);
            HugePages.Collapse([((nint)w, bytes)]);
            using var pool = new DecodeThreads(threads);
            Action<int, int> body = (r0, r1) => DecodeMath.MatVec(w, x, y, n, rows, r0, r1);
            double best = double.MaxValue;
            for (int p = 0; p < passes + 1; p++) // the first pass warms up
            {
                var sw = Stopwatch.StartNew();
                pool.Run(rows, body, align: 4);
                if (p > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return rows * (double)n * sizeof(float) / best / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
        }
    }
}
