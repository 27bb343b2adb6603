namespace Shoal.Scheduling;

/// <summary>Scheduler-side view of one live worker.</summary>
internal sealed class WorkerRecord
{
    public WorkerRecord(int id, WorkerSpec spec)
    {
        Id = id;
        Spec = spec;
        NThreads = Math.Max(1, spec.NThreads);
        if (spec.Resources.Count > 0)
        {
            ResourcesUsed = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var kv in spec.Resources) ResourcesUsed[kv.Key] = 0;
        }
    }

    public readonly int Id;
    public readonly WorkerSpec Spec;
    public readonly int NThreads;
    /// <summary>Tasks processing here (intrusive list through <see cref="TaskRecord.ProcNext"/>).</summary>
    public int ProcHead = -1, ProcTail = -1;
    /// <summary>Tasks assigned here ahead of time (intrusive list through <see cref="TaskRecord.ProcNext"/>): they wait for
    /// an input this worker is computing and count neither in <see cref="ProcessingCount"/> nor in <see cref="Occupancy"/>.</summary>
    public int AheadHead = -1, AheadTail = -1;
    /// <summary>Length of the ahead list.</summary>
    public int AheadCount;
    /// <summary>Tasks that could go ahead of time here but found the ahead list full; looked at again as it shrinks.</summary>
    public Queue<int>? AheadBlocked;
    /// <summary>Processing tasks that hold a thread slot: those listed, less the <see cref="LongRunning"/> ones.</summary>
    public int ProcessingCount;
    /// <summary>Processing tasks that seceded (they wait on other tasks and hold no slot; still listed).</summary>
    public int LongRunning;
    /// <summary>Processing tasks it reported started (<see cref="TaskRecord.Executing"/>).</summary>
    public int KnownExecuting;
    /// <summary>It reported a start since it registered: its start reports reach the scheduler.</summary>
    public bool HasReportedStarts;
    /// <summary>Sum of the estimated durations (s) of the tasks processing here.</summary>
    public double Occupancy;
    /// <summary>Tasks whose results it holds.</summary>
    public readonly HashSet<int> HasWhat = new();
    public long NbytesHeld;
    /// <summary>Resources held by tasks processing here (null when it declares none).</summary>
    public readonly Dictionary<string, double>? ResourcesUsed;
    /// <summary>Steals in flight towards this worker.</summary>
    public int IncomingSteals;
    /// <summary>Steals in flight away from this worker.</summary>
    public int OutgoingSteals;
    public WorkerLoad Load;
    public double LastSeen;
    /// <summary>Positions in the scheduler's worker orders (WorkerHeap), -1 while not in them (closing or gone).</summary>
    public int ProcessingHeapSlot = -1, OccupancyHeapSlot = -1;
    /// <summary>Retiring: gets no new tasks, finishes what it has (Dask's closing_gracefully).</summary>
    public bool Closing;
}
