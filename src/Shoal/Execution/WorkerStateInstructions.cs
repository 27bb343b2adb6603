using Shoal.Transfer;
using System.Text;

namespace Shoal.Execution;

/// <summary>Something <see cref="WorkerState"/> asks its server to do. Records compare by value (lists by content).</summary>
internal abstract record WorkerInstruction;

/// <summary>Tell the scheduler the task started (TaskStarted), then run it (run spec from <see cref="WorkerState.RunSpecOf"/>,
/// inputs from the store); report the outcome with <see cref="WorkerState.ExecuteSuccess"/> or <see cref="WorkerState.ExecuteFailure"/>.
/// The start report is what makes this worker's death count against the task, and only against tasks it executes.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunId">Run id of the compute request being executed, for the start report.</param>
internal sealed record Execute(string Key, long RunId = 0) : WorkerInstruction;

/// <summary>Tell the scheduler that a task already running here runs for a new request (a cancelled execution that the
/// scheduler asked for again): the same start report as <see cref="Execute"/> sends, without starting anything.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunId">Run id of the latest compute request for the key.</param>
internal sealed record TaskStartedMsg(string Key, long RunId) : WorkerInstruction;

/// <summary>Tell the scheduler that a running task gave up its slot (TaskSeceded).</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunId">Run id of the compute request being executed.</param>
internal sealed record TaskSecededMsg(string Key, long RunId) : WorkerInstruction;

/// <summary>A seceded task has its slot back: let it go on (see <see cref="WorkerState.Rejoin"/>).</summary>
/// <param name="Key">Key of the task.</param>
internal sealed record RejoinGranted(string Key) : WorkerInstruction;

/// <summary>Fetch these keys from one peer; report with <see cref="WorkerState.GatherSuccess"/> (after storing the
/// received values) or <see cref="WorkerState.GatherFailure"/>.</summary>
/// <param name="Peer">Address of the worker to fetch from.</param>
/// <param name="Keys">Keys to fetch.</param>
/// <param name="TotalNbytes">Sum of the estimated sizes.</param>
internal sealed record GatherDep(string Peer, IReadOnlyList<string> Keys, long TotalNbytes) : WorkerInstruction
{
    /// <summary>Value equality, comparing the key lists element by element.</summary>
    public bool Equals(GatherDep? other) =>
        other is not null && Peer == other.Peer && TotalNbytes == other.TotalNbytes && Keys.SequenceEqual(other.Keys);

    /// <summary>Hash over the peer and the number of keys.</summary>
    public override int GetHashCode() => HashCode.Combine(Peer, Keys.Count, TotalNbytes);

    /// <summary>Prints the members, lists element by element.</summary>
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Peer = ").Append(Peer).Append(", Keys = [").AppendJoin(", ", Keys)
            .Append("], TotalNbytes = ").Append(TotalNbytes);
        return true;
    }
}

/// <summary>Tell the scheduler a task finished and its value is in memory here.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="Nbytes">Size of the value.</param>
/// <param name="Start">When execution started (worker clock, seconds).</param>
/// <param name="Stop">When execution stopped.</param>
/// <param name="RunId">Run id of the latest compute request for the key (see <see cref="ComputeRequest.RunId"/>).</param>
internal sealed record TaskDoneMsg(string Key, long Nbytes, double Start, double Stop, long RunId = 0) : WorkerInstruction;

/// <summary>Tell the scheduler a task failed.</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="Error">The error as the executor reported it.</param>
/// <param name="Start">When execution started.</param>
/// <param name="Stop">When execution stopped.</param>
/// <param name="RunId">Run id of the latest compute request for the key.</param>
internal sealed record TaskFailedMsg(string Key, TaskErrorPayload Error, double Start, double Stop, long RunId = 0) : WorkerInstruction;

/// <summary>Tell the scheduler that no known holder could provide a key; <paramref name="Peer"/> was the last one tried.</summary>
/// <param name="Key">The missing key.</param>
/// <param name="Peer">The peer that did not deliver it.</param>
/// <param name="PeerInstance">The instance id the peer had when the gather started (null: unknown), so the scheduler
/// does not hold a failure of a dead worker against a new one on the same address.</param>
internal sealed record MissingDataMsg(string Key, string Peer, string? PeerInstance = null) : WorkerInstruction;

/// <summary>Answer the scheduler's steal request.</summary>
/// <param name="Key">Key the scheduler wanted to move.</param>
/// <param name="Accepted">True when the task was given up here.</param>
/// <param name="RunId">Run id of the steal request answered.</param>
internal sealed record StealResponseMsg(string Key, bool Accepted, long RunId = 0) : WorkerInstruction;

/// <summary>Drop the value of this key from the local store.</summary>
/// <param name="Key">Key to drop.</param>
internal sealed record ReleaseData(string Key) : WorkerInstruction;

/// <summary>Tell the scheduler to place this task again (the task asked to be rescheduled).</summary>
/// <param name="Key">Key of the task.</param>
/// <param name="RunId">Run id of the latest compute request for the key.</param>
internal sealed record RescheduleMsg(string Key, long RunId = 0) : WorkerInstruction;

/// <summary>Tell the scheduler this worker now also holds these keys (replicas gathered from peers).</summary>
/// <param name="Keys">Keys and their sizes.</param>
internal sealed record AddKeysMsg(IReadOnlyList<KeyValuePair<string, long>> Keys) : WorkerInstruction
{
    /// <summary>Value equality, comparing the key lists element by element.</summary>
    public bool Equals(AddKeysMsg? other) => other is not null && Keys.SequenceEqual(other.Keys);

    /// <summary>Hash over the number of keys.</summary>
    public override int GetHashCode() => Keys.Count;

    /// <summary>Prints the members, lists element by element.</summary>
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Keys = [").AppendJoin(", ", Keys).Append(']');
        return true;
    }
}

/// <summary>Ask the scheduler where these keys are; answer each with <see cref="WorkerState.UpdateWhoHas"/>.</summary>
/// <param name="Keys">Keys with no known holder.</param>
internal sealed record RequestWhoHasMsg(IReadOnlyList<string> Keys) : WorkerInstruction
{
    /// <summary>Value equality, comparing the key lists element by element.</summary>
    public bool Equals(RequestWhoHasMsg? other) => other is not null && Keys.SequenceEqual(other.Keys);

    /// <summary>Hash over the number of keys.</summary>
    public override int GetHashCode() => Keys.Count;

    /// <summary>Prints the members, lists element by element.</summary>
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Keys = [").AppendJoin(", ", Keys).Append(']');
        return true;
    }
}
