namespace LoraLab.Kernels;

/// <summary>
/// A cheap parallel loop for batch-1 decoding, where one token runs ~40 loops of a few microseconds each: a
/// <c>Parallel.For</c> (or a libtorch op) costs more to start than such a loop takes. <see cref="Run"/> splits [0, count)
/// into one contiguous chunk per thread; the caller's thread runs chunk 0 and <see cref="Threads"/> − 1 persistent workers
/// the rest. A worker waits for the next loop by spinning for <see cref="SpinIterations"/> rounds (the gaps between a
/// token's loops are short; after the first rounds each one yields the core, so a busy machine's other threads still run),
/// then sleeps on a monitor until woken. One loop runs at a time; <see cref="Run"/> is called
/// from one thread only.
/// </summary>
public sealed class DecodeThreads : IDisposable
{
    private const int SpinIterations = 2_000;

    private readonly Thread[] workers;
    private readonly object gate = new();
    private Action<int, int>? body;
    private int count;
    private int chunk;
    private int epoch; // bumped (under Interlocked) once per loop; workers run when it moves past what they last saw
    private int pending; // workers still running the current loop
    private int sleepers; // workers blocked (or about to block) on the gate
    private volatile bool stopping;
    private Exception? failure;

    /// <param name="threads">Threads per loop, the caller's included (≥ 1).</param>
    public DecodeThreads(int threads)
    {
        Threads = Math.Max(1, threads);
        workers = new Thread[Threads - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            int index = i + 1;
            workers[i] = new Thread(() => Work(index)) { IsBackground = true, Name = $"LoraLab decode {index}" };
            workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>
    /// Runs body(start, end) over contiguous chunks covering [0, count), each chunk a multiple of <paramref name="align"/>
    /// items (but the last); returns when every chunk is done. An exception in a worker is rethrown here.
    /// </summary>
    public void Run(int count, Action<int, int> body, int align = 1)
    {
        int per = (count + Threads - 1) / Threads;
        per = (per + align - 1) / align * align;
        if (Threads == 1 || count <= align)
        {
            body(0, count);
            return;
        }
        this.body = body;
        this.count = count;
        chunk = per;
        failure = null;
        Volatile.Write(ref pending, workers.Length);
        Interlocked.Increment(ref epoch);
        if (Volatile.Read(ref sleepers) > 0)
        {
            lock (gate) Monitor.PulseAll(gate);
        }
        body(0, Math.Min(per, count));
        var spin = new SpinWait();
        while (Volatile.Read(ref pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        this.body = null;
        if (failure is not null) throw new AggregateException("a decode worker failed", failure);
    }

    private void Work(int index)
    {
        int seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            for (int i = 0; i < SpinIterations && Volatile.Read(ref epoch) == seen && !stopping; i++) spin.SpinOnce(sleep1Threshold: -1);
            if (Volatile.Read(ref epoch) == seen && !stopping)
            {
                Interlocked.Increment(ref sleepers);
                lock (gate)
                {
                    while (Volatile.Read(ref epoch) == seen && !stopping) Monitor.Wait(gate);
                }
                Interlocked.Decrement(ref sleepers);
            }
            if (stopping) return;
            seen = Volatile.Read(ref epoch);
            int start = index * chunk, end = Math.Min(start + chunk, count);
            try
            {
                if (start < end) body!(start, end);
            }
            catch (Exception e)
            {
                failure = e;
            }
            Interlocked.Decrement(ref pending);
        }
    }

    public void Dispose()
    {
        stopping = true;
        lock (gate) Monitor.PulseAll(gate);
        foreach (var w in workers) w.Join();
    }
}
