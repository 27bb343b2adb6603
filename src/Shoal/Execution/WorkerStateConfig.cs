namespace Shoal.Execution;

/// <summary>Settings of one worker's <see cref="WorkerState"/>.</summary>
internal sealed class WorkerStateConfig
{
    /// <summary>This worker's own data address; it is never chosen as a peer to fetch from.</summary>
    public string Address { get; set; } = "";

    /// <summary>Number of task slots: at most this many tasks execute at once.</summary>
    public int NThreads { get; set; } = 1;

    /// <summary>Abstract resources this worker declares (for example <c>GPU=1</c>).</summary>
    public IReadOnlyDictionary<string, double> Resources { get; set; } = new Dictionary<string, double>();

    /// <summary>Maximum number of dependency gathers in flight at once, over all peers.</summary>
    public int TransferIncomingCountLimit { get; set; } = 4;

    /// <summary>A gather batches keys from one peer until their estimated size reaches this many bytes
    /// (a gather always takes at least one key).</summary>
    public long TransferMessageTargetBytes { get; set; } = 50_000_000;

    /// <summary>Run <see cref="WorkerState.Validate"/> after every event (for tests; costs O(tasks) per event).</summary>
    public bool ValidateAfterEveryEvent { get; set; }

    /// <summary>How many transitions (of all keys) the worker remembers for its stories; 0 turns them off.</summary>
    public int StoryLength { get; set; } = 100_000;
}
