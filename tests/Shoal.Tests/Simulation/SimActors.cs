using Shoal.Execution;

namespace Shoal.Tests.Simulation;

/// <summary>One incarnation of a worker process: its pure state, its data store and its connections.</summary>
internal sealed class SimWorker(int id, int incarnation, SimWorkerSpec spec, string address, WorkerState state)
{
    public int Id { get; } = id;
    public int Incarnation { get; } = incarnation;
    public SimWorkerSpec Spec { get; } = spec;
    public string Name => Spec.Name;
    public string Address { get; } = address;

    /// <summary>The process's instance id (RegisterWorker.instance_id): new for every incarnation, even on a reused address.</summary>
    public string Instance => $"i{Id}";

    public WorkerState State { get; } = state;

    /// <summary>The data store the server would keep (values by key).</summary>
    public Dictionary<string, long> Store { get; } = new(StringComparer.Ordinal);

    /// <summary>False once the process died; its pending events do nothing then.</summary>
    public bool Alive { get; set; } = true;

    /// <summary>Worker to scheduler.</summary>
    public required SimLink ToScheduler { get; init; }

    /// <summary>Scheduler to worker.</summary>
    public required SimLink FromScheduler { get; init; }

    /// <summary>Peer connections this worker opened or accepted, by peer incarnation id.</summary>
    public Dictionary<int, SimLink> PeerLinks { get; } = new();

    /// <summary>Keys executing here (from Execute until the execution ends), whatever their state.</summary>
    public HashSet<string> Running { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys a client put here (restore) while they were executing: the value stands beside the execution.</summary>
    public HashSet<string> PutWhileRunning { get; } = new(StringComparer.Ordinal);

    /// <summary>Keys whose outcome (done, failed, rescheduled) was sent to the scheduler and not yet delivered.</summary>
    public Dictionary<string, int> OutcomesInFlight { get; } = new(StringComparer.Ordinal);

    /// <summary>When the scheduler removed it: the keys it was executing (at its death, if it died first) or whose outcome
    /// was still in flight; the only tasks its removal may be held against as reported started.</summary>
    public HashSet<string>? RunningAtRemoval { get; set; }

    /// <summary>Gathers this worker started that have not ended.</summary>
    public List<SimGather> Gathers { get; } = new();

    public override string ToString() => $"{Name}#{Id}";
}

/// <summary>A gather in progress (one request/reply on a peer connection).</summary>
internal sealed class SimGather(SimWorker requester, string peerAddress, string[] keys)
{
    public SimWorker Requester { get; } = requester;
    public string PeerAddress { get; } = peerAddress;
    public string[] Keys { get; } = keys;
    public SimWorker? Peer { get; set; }
    public bool Ended { get; set; }
}

/// <summary>What a simulated client knows of one key it holds a future for.</summary>
internal enum SimKeyStatus
{
    Pending,
    Memory,
    Erred,
    Cancelled,
}

/// <summary>A simulated client.</summary>
internal sealed class SimClient(int id, SimClientPlan plan)
{
    public int Id { get; } = id;
    public SimClientPlan Plan { get; } = plan;
    public Dictionary<string, SimKeyStatus> Keys { get; } = new(StringComparer.Ordinal);
    public HashSet<string> CancelRequested { get; } = new(StringComparer.Ordinal);
    /// <summary>Values the client fetched and keeps (and told the scheduler so): it puts them back when asked.</summary>
    public Dictionary<string, long> Held { get; } = new(StringComparer.Ordinal);
    public int GraphsSubmitted { get; set; }
    public bool Left { get; set; }
    public required SimLink ToScheduler { get; init; }
    public required SimLink FromScheduler { get; init; }
}

/// <summary>The error of a simulated task that raised, as a worker reports it (its type says so, its key which task).</summary>
internal static class SimTaskError
{
    public const string TypeName = "Shoal.Simulation.SimTaskError";

    public static Transfer.TaskErrorPayload Of(string key) =>
        new(new Protocol.Messages.RemoteError { TypeName = TypeName, Key = key, Message = $"{key} raised", StackTrace = "" }, null);
}

/// <summary>A broken invariant (carries the message into the failure report).</summary>
internal sealed class SimInvariantException(string message) : Exception(message);
