using LoraLab.Kernels;

namespace LoraLab.Tests.Kernels;

/// <summary><see cref="DecodeMath"/> against double-precision loops, and <see cref="DecodeThreads"/>' chunking.</summary>
public unsafe class DecodeKernelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)] // fewer rows than a pass of four, scalar only
    [InlineData(9, 40)] // 16-lane steps, an 8-lane step and a scalar tail
    [InlineData(13, 172)]
    [InlineData(300, 288)] // streamed (≥ 64 Ki entries), prefetching ahead: 64- and 16-entry steps
    [InlineData(257, 300)] // streamed, with a 12-entry scalar tail
    [InlineData(129, 536)] // streamed, with a 16-entry step and an 8-entry scalar tail
    public void MatVecMatchesADoubleLoop(int rows, int n)
    {
        var rng = new Random(rows * 1000 + n);
        float[] w = Enumerable.Range(0, rows * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var y = new float[rows];
        fixed (float* pw = w, px = x, py = y)
        {
            DecodeMath.MatVec(pw, px, py, n, rows, 0, rows);
        }
        for (int r = 0; r < rows; r++)
        {
            double expected = 0;
            for (int j = 0; j < n; j++) expected += (double)w[r * n + j] * x[j];
            Assert.True(Math.Abs(y[r] - expected) < 1e-5 * Math.Max(1, n / 16.0), $"row {r}: {y[r]} vs {expected}");
        }
    }

    [Fact]
    public void SoftmaxAndRmsNormMatchTheirDefinitions()
    {
        float[] s = [1f, -2f, 0.5f, 30f, 29f];
        float[] x = [0.5f, -1.5f, 2f, 3f, -0.25f, 1f, 0f, 4f, 2.5f];
        float[] weight = [1f, 2f, 0.5f, 1f, 1f, 3f, 1f, 0.25f, 1f];
        var y = new float[x.Length];
        fixed (float* ps = s, px = x, pw = weight, py = y)
        {
            DecodeMath.Softmax(ps, s.Length);
            DecodeMath.RmsNorm(px, pw, py, x.Length, 1e-5f);
        }
        double[] e = [Math.Exp(1 - 30), Math.Exp(-2 - 30), Math.Exp(0.5 - 30), 1, Math.Exp(-1)];
        for (int i = 0; i < s.Length; i++) Assert.Equal(e[i] / e.Sum(), s[i], 6);
        double rms = Math.Sqrt(x.Sum(v => (double)v * v) / x.Length + 1e-5);
        for (int i = 0; i < x.Length; i++) Assert.Equal(weight[i] * x[i] / rms, y[i], 5);
    }

    [Theory]
    [InlineData(1, 10, 1)]
    [InlineData(2, 1, 4)]
    [InlineData(2, 33, 4)]
    [InlineData(3, 100, 4)]
    [InlineData(4, 7, 1)]
    public void RunCoversEveryItemOnceInAlignedChunks(int threads, int count, int align)
    {
        using var pool = new DecodeThreads(threads);
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var hits = new int[count];
            var starts = new System.Collections.Concurrent.ConcurrentBag<int>();
            pool.Run(count, (a, b) =>
            {
                starts.Add(a);
                for (int i = a; i < b; i++) Interlocked.Increment(ref hits[i]);
            }, align);
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.All(starts, a => Assert.Equal(0, a % align));
        }
    }

    [Fact]
    public void AWorkerExceptionReachesTheCaller()
    {
        using var pool = new DecodeThreads(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(8, (a, _) => { if (a > 0) throw new InvalidOperationException("boom"); }));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var hits = new int[8];
        pool.Run(8, (a, b) => { for (int i = a; i < b; i++) hits[i]++; }); // the pool still works
        Assert.All(hits, h => Assert.Equal(1, h));
    }
}
