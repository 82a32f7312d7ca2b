using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace LoraLab.Kernels;

/// <summary>
/// Runs a loop of LoraLab's own kernels on the OpenMP thread team that libtorch's parallel operations use, by calling
/// <c>GOMP_parallel</c> in the libgomp that TorchSharp's libtorch_cpu loaded. Between libtorch operations those team
/// threads spin for a while before sleeping, so extra .NET threads would compete with them for the cores; on the team
/// itself a loop takes the cores the spinning threads hold.
/// <see cref="For"/> splits [0, count) into one contiguous chunk per team thread (as many threads as libtorch's
/// <c>get_num_threads</c>); the caller's thread is the team's thread 0. Where no libgomp is found (another libtorch build,
/// another OS) the loop runs on the caller's thread. Bodies do raw memory work only: no TorchSharp calls.
/// Measured at the bench's medium LoRA shape (2 cores, dropout 0.05), against the same loops on the caller's thread:
/// 5–10% more tokens/s, and a peak RSS 150–300 MB (5–9%) higher, a cost whose cause is not known; with a small gen-0
/// budget (DOTNET_GCgen0size=0x100000) the two peaks were equal.
/// </summary>
internal static unsafe class OmpTeam
{
    private static readonly delegate* unmanaged<delegate* unmanaged<void*, void>, void*, uint, uint, void> Parallel;
    private static readonly delegate* unmanaged<int> ThreadNum;
    private static readonly delegate* unmanaged<int> NumThreads;

    static OmpTeam()
    {
        _ = TorchSharp.torch.get_num_threads(); // libtorch (and its libgomp) loaded
        IntPtr parallel = LibtorchSymbols.Find("GOMP_parallel"), num = LibtorchSymbols.Find("omp_get_thread_num"),
            size = LibtorchSymbols.Find("omp_get_num_threads");
        if (parallel == IntPtr.Zero || num == IntPtr.Zero || size == IntPtr.Zero) return;
        Parallel = (delegate* unmanaged<delegate* unmanaged<void*, void>, void*, uint, uint, void>)parallel;
        ThreadNum = (delegate* unmanaged<int>)num;
        NumThreads = (delegate* unmanaged<int>)size;
    }

    /// <summary>Whether loops run on libtorch's OpenMP team (else on the caller's thread).</summary>
    public static bool Available => Parallel != null;

    /// <summary>
    /// Runs body(start, end) over contiguous chunks covering [0, <paramref name="count"/>), one per team thread, using no
    /// more threads than leave each at least <paramref name="grain"/> items; returns when all are done. An exception
    /// thrown by a body is rethrown here (the first one, when several threw).
    /// </summary>
    public static void For(long count, long grain, Action<long, long> body)
    {
        long threads = Parts(count, grain);
        if (threads <= 1 || !Available)
        {
            if (count > 0) body(0, count);
            return;
        }
        var job = new Job(count, body);
        var handle = GCHandle.Alloc(job);
        try
        {
            Parallel(&Run, (void*)GCHandle.ToIntPtr(handle), (uint)threads, 0);
        }
        finally
        {
            handle.Free();
        }
        if (job.Failure is not null) ExceptionDispatchInfo.Throw(job.Failure);
    }

    /// <summary>Rows of <paramref name="width"/> entries per team thread at least, so that a split pays for waking the team: 16 Ki entries.</summary>
    public static long RowGrain(long width) => Math.Max(1, (16L << 10) / Math.Max(1, width));

    /// <summary>How many chunks <see cref="For"/> makes of <paramref name="count"/> items at <paramref name="grain"/> (≥ 1).</summary>
    public static int Parts(long count, long grain) =>
        Available ? (int)Math.Max(1, Math.Min(TorchSharp.torch.get_num_threads(), count / Math.Max(1, grain))) : 1;

    private sealed class Job(long count, Action<long, long> body)
    {
        public readonly long Count = count;
        public readonly Action<long, long> Body = body;
        public Exception? Failure;
    }

    // One team thread's chunk; the team may be smaller than asked (nested regions run with one thread), so the chunks
    // follow the team's actual size.
    [UnmanagedCallersOnly]
    private static void Run(void* data)
    {
        var job = (Job)GCHandle.FromIntPtr((IntPtr)data).Target!;
        try
        {
            long t = ThreadNum(), n = NumThreads();
            long start = job.Count * t / n, end = job.Count * (t + 1) / n;
            if (start < end) job.Body(start, end);
        }
        catch (Exception e) // an exception must not cross into libgomp
        {
            Interlocked.CompareExchange(ref job.Failure, e, null);
        }
    }
}
