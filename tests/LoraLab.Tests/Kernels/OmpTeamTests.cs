using System.Collections.Concurrent;
using LoraLab.Kernels;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>The loop that runs LoraLab's kernels on libtorch's OpenMP thread team.</summary>
public class OmpTeamTests
{
    [Fact]
    public void OnLinuxTheTeamIsLibtorchsOwnLibgomp()
    {
        if (!OperatingSystem.IsLinux()) return; // other systems run the loops on the caller's thread
        Assert.True(OmpTeam.Available, "GOMP_parallel not found through libtorch_cpu.so: the kernels' loops would run on one thread");
    }

    [Theory]
    [InlineData(1000L, 10L)]
    [InlineData(7L, 1L)]
    [InlineData(3L, 100L)] // below two grains: one chunk on the caller's thread
    [InlineData(0L, 1L)]
    public void ChunksCoverTheRangeOnceAndInOrder(long count, long grain)
    {
        var chunks = new ConcurrentBag<(long Start, long End)>();
        OmpTeam.For(count, grain, (start, end) => chunks.Add((start, end)));
        var sorted = chunks.OrderBy(c => c.Start).ToList();
        Assert.Equal(OmpTeam.Parts(count, grain), count == 0 ? 1 : sorted.Count);
        long next = 0;
        foreach (var (start, end) in sorted)
        {
            Assert.Equal(next, start);
            Assert.True(end > start);
            next = end;
        }
        Assert.Equal(count, next);
    }

    [Fact]
    public void ChunksRunOnSeveralThreadsWhenLibtorchHasThem()
    {
        if (!OmpTeam.Available || get_num_threads() < 2) return; // nothing to split over
        var threads = new ConcurrentDictionary<int, bool>();
        using var both = new Barrier(2);
        // each chunk waits for the other: only two threads running at once can pass
        OmpTeam.For(2, 1, (_, _) =>
        {
            threads[Environment.CurrentManagedThreadId] = true;
            Assert.True(both.SignalAndWait(TimeSpan.FromSeconds(30)), "the two chunks did not run at the same time");
        });
        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public void AnExceptionInAChunkIsRethrownToTheCaller()
    {
        bool oneChunk = OmpTeam.Parts(100, 1) == 1;
        var e = Assert.Throws<InvalidOperationException>(() => OmpTeam.For(100, 1, (start, _) =>
        {
            if (start > 0 || oneChunk) throw new InvalidOperationException("chunk failed"); // a chunk off the caller's thread, when there is one
        }));
        Assert.Equal("chunk failed", e.Message);
    }

    [Fact]
    public void ALoopInsideALoopRunsOnItsOwnThread()
    {
        long total = 0;
        OmpTeam.For(4, 1, (s0, e0) =>
        {
            for (long i = s0; i < e0; i++)
                OmpTeam.For(10, 1, (s1, e1) => Interlocked.Add(ref total, e1 - s1));
        });
        Assert.Equal(40, total);
    }
}
