using System.Diagnostics;
using static TorchSharp.torch;

namespace LoraLab.Bench;

/// <summary>fp32 matrix-multiply throughput of this TorchSharp/libtorch build: the machine's compute ceiling.</summary>
public static class Gemm
{
    public static double MeasureGflops(int n, int repeats)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        matmul(a, b).Dispose(); // warm-up
        var best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using var c = matmul(a, b);
            sw.Stop();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * (double)n / best / 1e9;
    }
}
