using Shoal.Scheduling;

namespace Shoal.Tests.Scheduling;

/// <summary>
/// Drives a <see cref="SchedulerState"/> event by event: validates its invariants after every
/// event and returns the commands it produced as readable strings ("Compute w1 inc-1").
/// </summary>
internal sealed class SchedulerHarness
{
    public SchedulerHarness(SchedulerConfig? config = null)
    {
        State = new SchedulerState(config ?? new SchedulerConfig());
        State.AddClient(1);
    }

    /// <summary>
    /// A scheduler that places a dependent only once its inputs are in memory (no ahead-of-time assignment), for
    /// tests written about something else in terms of those commands; AheadOfTimeTests cover the same events with it.
    /// </summary>
    public static SchedulerHarness WithoutAheadOfTime() => new(new SchedulerConfig { AheadOfTime = false });

    public SchedulerState State { get; }
    public double Now { get; set; }

    public static WorkerSpec Spec(string name, int nthreads = 1, Dictionary<string, double>? resources = null, params (string Key, long Nbytes)[] held) =>
        new(name, "tcp://" + name + ":1", nthreads, 1L << 30, resources ?? new Dictionary<string, double>(),
            held.Select(h => new KeyValuePair<string, long>(h.Key, h.Nbytes)).ToArray());

    public static TaskSpecification Task(string key, params string[] deps) =>
        new() { Key = key, Dependencies = deps, RunSpec = TestPayloads.Run("run " + key), Wanted = true };

    public List<string> Collect()
    {
        var list = new List<string>();
        foreach (var c in State.Commands)
        {
            string target = c.Kind is SchedulerCommandKind.Compute or SchedulerCommandKind.FreeKeys or SchedulerCommandKind.StealRequest
                ? "w" + c.Target
                : "c" + c.Target;
            var restoreTo = c.Kind == SchedulerCommandKind.RestoreKeys ? $" to w{State.RestoreTargetOf(c.Task)}" : "";
            var ofPut = c.Kind == SchedulerCommandKind.FreeKeys && State.ScatterGenerationOf(c.Task, c.Target) is var g and not 0 ? $" of put {g}" : "";
            list.Add($"{c.Kind} {target} {State.KeyOf(c.Task)}{restoreTo}{ofPut}");
        }
        State.ClearCommands();
        return list;
    }

    private List<string> Done()
    {
        State.Validate();
        return Collect();
    }

    public List<string> AddWorker(int id, WorkerSpec spec) { State.AddWorker(id, spec, Now); return Done(); }
    public List<string> AddWorker(int id, int nthreads = 1) => AddWorker(id, Spec("w" + id, nthreads));
    public List<string> RemoveWorker(int id, string cause = "died") { State.RemoveWorker(id, cause, Now); return Done(); }
    public List<string> Submit(int client, params TaskSpecification[] tasks) { State.UpdateGraph(client, tasks, Now); return Done(); }
    public List<string> Submit(params TaskSpecification[] tasks) => Submit(1, tasks);
    /// <summary>The current run id of a key (0 when unknown): what a worker answering the latest Compute echoes.</summary>
    public long RunOf(string key) => State.TaskIdOf(key) is var t and >= 0 ? State.RunIdOf(t) : 0;

    public List<string> Finish(int worker, string key, long nbytes = 8, double duration = 0.01, long? run = null)
    {
        State.TaskFinished(worker, key, run ?? RunOf(key), nbytes, Now, Now + duration, Now + duration);
        return Done();
    }
    /// <summary>The worker reports it started the key's current run (or <paramref name="run"/>).</summary>
    public List<string> Started(int worker, string key, long? run = null) { State.TaskStarted(worker, key, run ?? RunOf(key), Now); return Done(); }
    public List<string> Err(int worker, string key, Shoal.Transfer.TaskFailure error, long? run = null) { State.TaskErred(worker, key, run ?? RunOf(key), error, Now); return Done(); }

    public List<string> Err(int worker, string key, string message, long? run = null) => Err(worker, key, TestPayloads.Error(message), run);
    public List<string> Release(int client, params string[] keys) { State.ReleaseKeys(client, keys, Now); return Done(); }
    public List<string> Cancel(int client, params string[] keys) { State.CancelKeys(client, keys, Now); return Done(); }
    public List<string> Missing(int worker, string key, int holder) { State.MissingData(worker, key, holder, Now); return Done(); }
    public List<string> StealResponse(int worker, string key, bool accepted, long? run = null) { State.StealResponse(worker, key, run ?? RunOf(key), accepted, Now); return Done(); }
    public List<string> Tick() { State.Tick(Now); return Done(); }
    public List<string> Reschedule(int worker, string key, long? run = null) { State.Reschedule(worker, key, run ?? RunOf(key), Now); return Done(); }
    public List<string> RemoveClient(int client) { State.RemoveClient(client); return Done(); }
    public List<string> AddKeys(int worker, params (string Key, long Nbytes)[] keys)
    {
        State.AddKeys(worker, keys.Select(k => new KeyValuePair<string, long>(k.Key, k.Nbytes)).ToArray(), Now);
        return Done();
    }
    public List<string> Scatter(int client, int[] workers, bool wanted, params (string Key, long Nbytes)[] keys)
    {
        State.ScatterData(client, keys.Select(k => new KeyValuePair<string, long>(k.Key, k.Nbytes)).ToArray(), workers, wanted, Now);
        return Done();
    }
    /// <summary>A scatter whose puts carry <paramref name="generation"/> (as a client's do).</summary>
    public List<string> ScatterPut(int client, int[] workers, ulong generation, params (string Key, long Nbytes)[] keys)
    {
        State.ScatterData(client, keys.Select(k => new KeyValuePair<string, long>(k.Key, k.Nbytes)).ToArray(), workers, true, Now,
            keys.Select(_ => generation).ToArray());
        return Done();
    }

    public List<string> ClientHolds(int client, params string[] keys) { State.ClientHolds(client, keys, Now); return Done(); }
    public List<string> RestoreFinished(int client, int worker, (string Key, long Nbytes)[] restored, params string[] missing)
    {
        State.RestoreFinished(client, worker, restored.Select(k => new KeyValuePair<string, long>(k.Key, k.Nbytes)).ToArray(), missing, Now);
        return Done();
    }

    public int[] Holders(string key) => State.WhoHas(State.TaskIdOf(key)).ToArray();
    public string[] Processing(int worker) => State.ProcessingOn(worker).Select(State.KeyOf).ToArray();
}
