using Shoal.Execution;

namespace Shoal;

/// <summary>
/// What a running task can learn about, and ask of, the worker that runs it (Dask's <c>get_worker</c>,
/// <c>get_client</c>, <c>secede</c> and <c>rejoin</c>). Outside a task (on the client, or on a thread the task did not
/// start) its properties are null or empty and its methods throw <see cref="InvalidOperationException"/>.
/// </summary>
/// <remarks>
/// A task may submit tasks and wait for them: <see cref="GetClientAsync"/> gives a client connected to the same
/// scheduler. While any client waits for results inside a task (<c>await future</c>, <c>GatherAsync</c>), the task
/// gives up its thread slot, so the tasks it waits for can run on this worker, and takes a slot back before it goes on:
/// a recursive computation on single-threaded workers does not deadlock. <see cref="Secede"/> and
/// <see cref="RejoinAsync"/> do the same by hand, for other long waits.
/// </remarks>
public static partial class WorkerContext
{
    private static readonly AsyncLocal<RunningTask?> CurrentRun = new();

    /// <summary>The name of the worker running the current task, or null outside a task.</summary>
    public static string? Name => CurrentRun.Value?.Worker.Name;

    /// <summary>The data address of the worker running the current task, or null outside a task.</summary>
    public static string? Address => CurrentRun.Value?.Worker.Address;

    /// <summary>The address of the scheduler of the worker running the current task, or null outside a task.</summary>
    public static string? SchedulerAddress => CurrentRun.Value?.Worker.SchedulerAddress;

    /// <summary>The key of the current task, or null outside a task.</summary>
    public static string? Key => CurrentRun.Value?.Key;

    /// <summary>The thread slots of the worker running the current task (0 outside a task).</summary>
    public static int NThreads => CurrentRun.Value?.Worker.NThreads ?? 0;

    /// <summary>The abstract resources the worker declared (empty outside a task).</summary>
    public static IReadOnlyDictionary<string, double> Resources =>
        CurrentRun.Value?.Worker.Resources ?? new Dictionary<string, double>();

    /// <summary>The keys whose values the worker holds now, a snapshot (empty outside a task).</summary>
    public static IReadOnlyList<string> LocalKeys => CurrentRun.Value?.Worker.StoredKeys ?? [];

    /// <summary>
    /// Reads a value the worker holds now (Dask's <c>get_worker().data[key]</c>), decoded for the current task; false
    /// when the worker does not hold <paramref name="key"/> (or outside a task). A value the task needs should be its
    /// argument instead: only then does the scheduler bring it here.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key of a result or scattered value.</param>
    /// <param name="value">The value, when there.</param>
    /// <exception cref="InvalidCastException">The value is not a <typeparamref name="T"/>.</exception>
    public static bool TryGetLocalValue<T>(string key, out T? value)
    {
        value = default;
        if (CurrentRun.Value?.LocalValue is not { } read) return false;
        try
        {
            value = (T?)read(key);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return false; // released meanwhile, or never here
        }
    }

    /// <summary>
    /// Tripped when the current task is no longer wanted: its futures were cancelled or released (also when their
    /// client left) or the worker stops. <see cref="CancellationToken.None"/> outside a task. A task may also take a
    /// <see cref="System.Threading.CancellationToken"/> parameter, which gets this token.
    /// </summary>
    public static CancellationToken CancellationToken => CurrentRun.Value?.Cancellation ?? CancellationToken.None;

    /// <summary>Whether the current task gave up its thread slot (see <see cref="Secede"/>).</summary>
    public static bool IsSeceded => CurrentRun.Value?.IsSeceded ?? false;

    /// <summary>
    /// The client of the worker running the current task, connected to its scheduler with the worker's credentials,
    /// shared by every task of the worker (do not dispose it: it goes with the worker). Made on first use.
    /// </summary>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="InvalidOperationException">Not inside a task.</exception>
    public static async Task<Client> GetClientAsync(CancellationToken cancellationToken = default)
    {
        var run = Require(nameof(GetClientAsync));
        var worker = run.Worker;
        var client = await worker.TaskClient.GetAsync(async ct => await Client.ConnectAsync(worker.SchedulerAddress, new ClientOptions
        {
            Name = worker.Name + "-tasks",
            Security = worker.Credentials,
            LoggerFactory = worker.LoggerFactory,
            // A worker's tasks hold their subtasks' results only while they wait for them.
            HoldResultsForRecovery = false,
        }, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return (Client)client;
    }

    /// <summary>The same as <see cref="GetClientAsync"/>, blocking while the first call connects (Dask's <c>get_client</c>).</summary>
    /// <exception cref="InvalidOperationException">Not inside a task.</exception>
    public static Client GetClient()
    {
        Require(nameof(GetClient));
        return GetClientAsync().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Gives up the current task's thread slot, so that another task can run on the worker while this one waits (Dask's
    /// <c>secede</c>). The scheduler no longer counts it against the worker. Call <see cref="RejoinAsync"/> before
    /// computing again.
    /// </summary>
    /// <returns>False when the task had given up its slot already.</returns>
    /// <exception cref="InvalidOperationException">Not inside a task.</exception>
    public static bool Secede() => Require(nameof(Secede)).Secede();

    /// <summary>Takes a thread slot back after <see cref="Secede"/>, waiting until one is free (Dask's <c>rejoin</c>).</summary>
    /// <exception cref="InvalidOperationException">Not inside a task.</exception>
    public static Task RejoinAsync() => Require(nameof(RejoinAsync)).RejoinAsync();

    /// <summary>Set by the worker server on the task's own execution flow, before it runs user code.</summary>
    internal static void Enter(RunningTask run) => CurrentRun.Value = run;

    /// <summary>
    /// For a client about to wait on results: inside a task that holds its slot, gives it up until the returned scope
    /// is disposed (which takes one back). Outside a task, or already seceded, it does nothing.
    /// </summary>
    /// <param name="nothingToWaitFor">True when the results are there already: the slot is kept.</param>
    internal static SlotGivenUp GiveUpSlotWhileWaiting(bool nothingToWaitFor)
    {
        var run = CurrentRun.Value;
        return run is not null && !nothingToWaitFor && run.Secede() ? new SlotGivenUp(run) : default;
    }

    private static RunningTask Require(string member) =>
        CurrentRun.Value ?? throw new InvalidOperationException($"WorkerContext.{member} can only be used inside a task running on a worker.");

    /// <summary>A slot given up by <see cref="GiveUpSlotWhileWaiting"/>; disposing takes one back.</summary>
    internal readonly struct SlotGivenUp(RunningTask? run) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => run is null ? ValueTask.CompletedTask : new ValueTask(run.RejoinAsync());
    }
}
