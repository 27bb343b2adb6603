namespace Shoal.Platform;

/// <summary>
/// The thread-pool threads that the workers of one process may keep busy at once (their
/// nthreads summed). Tasks run on the thread pool and may block their thread (as Dask's, which
/// get real threads); without a reservation a pool sized for the cores runs fewer than nthreads
/// blocking tasks at once and only grows slowly. The pool is the process's, so whoever starts
/// several workers in one process (a <see cref="LocalCluster"/>, <c>shoal worker --nworkers N
/// --no-nanny</c>) gives them one reservation; a worker given none makes its own.
/// </summary>
internal sealed class ThreadPoolReservation
{
    private int _reserved;

    /// <summary>Threads reserved now.</summary>
    public int Reserved => Volatile.Read(ref _reserved);

    /// <summary>
    /// Adds <paramref name="threads"/> and raises the pool's minimum to every reserved thread
    /// plus one per core (never lowers it); dispose to take them back from the count.
    /// </summary>
    public IDisposable Reserve(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var wanted = Interlocked.Add(ref _reserved, threads) + Environment.ProcessorCount;
        ThreadPool.GetMinThreads(out var workerThreads, out var ioThreads);
        if (workerThreads < wanted) ThreadPool.SetMinThreads(wanted, ioThreads);
        return new Release(this, threads);
    }

    private sealed class Release(ThreadPoolReservation owner, int threads) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Add(ref owner._reserved, -threads);
        }
    }
}
