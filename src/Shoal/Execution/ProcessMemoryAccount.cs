using System.Diagnostics;
using Shoal.Platform;

namespace Shoal.Execution;

/// <summary>
/// The memory accounting of one process, shared by every worker server in it (<c>shoal worker
/// --nworkers N --no-nanny</c>, an in-process <c>LocalCluster</c>). Resident memory belongs to the
/// process, not to a worker: when each of N workers compared the whole process's memory with its
/// own share of the limit (total / N), every one of them was past its threshold as soon as N was
/// large, and they paused and resumed in a loop (each also forcing full collections) until a
/// client's handshake timed out. Here pause decisions compare the process total with the process
/// limit (the sum of its workers' limits); the resident size is read once per sampling interval
/// for all of them, and at most one forced collection runs at a time for the whole process.
/// </summary>
internal sealed class ProcessMemoryAccount
{
    private static readonly long SampleTicks = Stopwatch.Frequency / 20; // 50 ms: half the workers' check interval
    private static readonly long CollectTicks = Stopwatch.Frequency / 4; // a full collection at most 4 times a second

    private readonly Func<long> _readResident;
    private readonly Lock _gate = new();
    private readonly List<IMemoryHolder> _holders = [];
    private long _sampledAt;
    private bool _sampled;
    private long _resident;
    private long _collectedAt;
    private bool _collected;
    private long _limit;

    /// <summary>An account for a process whose workers may use <paramref name="limit"/> bytes together (0: no limit).</summary>
    /// <param name="limit">The process's limit in bytes: its workers' limits summed.</param>
    /// <param name="readResident">Reads the process's resident bytes (tests substitute it).</param>
    public ProcessMemoryAccount(long limit = 0, Func<long>? readResident = null)
    {
        _limit = limit;
        _readResident = readResident ?? ProcessMemory.ResidentBytes;
    }

    /// <summary>
    /// The process's memory limit in bytes: its workers' limits summed. Known before the first of
    /// them registers (summed as they joined, the first would compare the process with its own
    /// share alone); a cluster that scales sets it anew.
    /// </summary>
    public long Limit
    {
        get
        {
            lock (_gate) return _limit;
        }

        set
        {
            lock (_gate) _limit = value;
        }
    }

    /// <summary>Workers taking part (tests and diagnostics).</summary>
    public int Holders
    {
        get
        {
            lock (_gate) return _holders.Count;
        }
    }

    /// <summary>A worker joins (its memory counts in <see cref="NothingToFree"/>).</summary>
    public void Join(IMemoryHolder holder)
    {
        lock (_gate) _holders.Add(holder);
    }

    /// <summary>A stopped worker leaves.</summary>
    public void Leave(IMemoryHolder holder)
    {
        lock (_gate) _holders.Remove(holder);
    }

    /// <summary>The process's resident bytes, read at most once per 50 ms for all its workers.</summary>
    public long ResidentBytes(bool fresh = false)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (!fresh && _sampled && now - _sampledAt < SampleTicks) return _resident;
        }

        var resident = _readResident();
        lock (_gate)
        {
            _resident = resident;
            _sampledAt = now;
            _sampled = true;
        }

        return resident;
    }

    /// <summary>True for one caller at most every 250 ms: that caller runs the forced full collection for the process.</summary>
    public bool TryStartCollection()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_collected && now - _collectedAt < CollectTicks) return false;
            _collectedAt = now;
            _collected = true;
            return true;
        }
    }

    /// <summary>
    /// True when no worker of the process holds results in memory or runs a task: what is left is
    /// not the workers' to free, and staying paused would only deadlock the graph.
    /// </summary>
    public bool NothingToFree()
    {
        lock (_gate)
        {
            foreach (var holder in _holders)
            {
                if (holder.MemoryBytes > 0 || holder.Executing > 0) return false;
            }

            return true;
        }
    }
}

/// <summary>What a worker tells its process's <see cref="ProcessMemoryAccount"/> (read from other threads: a heuristic, not a lock-step count).</summary>
internal interface IMemoryHolder
{
    /// <summary>Bytes of results held in memory (not spilled).</summary>
    long MemoryBytes { get; }

    /// <summary>Tasks running now.</summary>
    int Executing { get; }
}
