using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Shoal.Flows;

/// <summary>
/// Runs flows: validates the parameters, records the run, starts its executor, runs the body
/// with tasks submitted to the cluster, and records how it ended; the executor is torn down
/// whatever happens. One runner can run many flow runs at once.
/// </summary>
public sealed class FlowRunner : IAsyncDisposable
{
    private readonly IFlowExecutor executor;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> limits = new(StringComparer.Ordinal);

    /// <summary>A runner recording into <paramref name="store"/> and running tasks on <paramref name="executor"/>.</summary>
    /// <param name="store">Where runs are recorded (not disposed by the runner).</param>
    /// <param name="executor">Where tasks run.</param>
    /// <param name="options">Tags, limits, result store, clock.</param>
    public FlowRunner(IFlowRunStore store, IFlowExecutor executor, FlowRunnerOptions? options = null)
    {
        Store = store;
        this.executor = executor;
        Options = options ?? new FlowRunnerOptions();
        Recorder = new RunRecorder(store);
        Results = Options.ResultStore ?? new LocalDirectoryResultStore();
        Logger = Options.LoggerFactory?.CreateLogger("Shoal.Flows") ?? NullLogger.Instance;
    }

    /// <summary>The runner's options.</summary>
    public FlowRunnerOptions Options { get; }

    /// <summary>Where runs are recorded.</summary>
    public IFlowRunStore Store { get; }

    internal RunRecorder Recorder { get; }

    internal IResultStore Results { get; }

    internal ILogger Logger { get; }

    /// <summary>Runs a flow with parameters from a command line (<c>--name value</c>), validated before anything is recorded.</summary>
    /// <typeparam name="TParams">The parameters' type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="flow">The flow.</param>
    /// <param name="args">The arguments.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>How the run ended.</returns>
    /// <exception cref="FlowParameterException">Bad parameters: nothing ran, nothing was recorded.</exception>
    public Task<FlowRunResult<TResult>> RunAsync<TParams, TResult>(Flow<TParams, TResult> flow, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
        where TParams : class => RunAsync(flow, flow.ParseArguments(args), cancellationToken);

    /// <summary>Runs a flow with parameters from JSON, validated before anything is recorded.</summary>
    /// <typeparam name="TParams">The parameters' type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="flow">The flow.</param>
    /// <param name="json">The parameters as a JSON object.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>How the run ended.</returns>
    /// <exception cref="FlowParameterException">Bad parameters: nothing ran, nothing was recorded.</exception>
    public Task<FlowRunResult<TResult>> RunJsonAsync<TParams, TResult>(Flow<TParams, TResult> flow, string json, CancellationToken cancellationToken = default)
        where TParams : class => RunAsync(flow, flow.ParseJson(json), cancellationToken);

    /// <summary>Runs a flow: a new flow run on a new execution of the runner's executor.</summary>
    /// <typeparam name="TParams">The parameters' type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="flow">The flow.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>How the run ended (a run that fails returns its state, it does not throw).</returns>
    /// <exception cref="FlowParameterException">Bad parameters: nothing ran, nothing was recorded.</exception>
    public async Task<FlowRunResult<TResult>> RunAsync<TParams, TResult>(Flow<TParams, TResult> flow, TParams parameters, CancellationToken cancellationToken = default)
        where TParams : class
    {
        ArgumentNullException.ThrowIfNull(flow);
        FlowParameters.Validate(flow.Name, parameters);
        var id = Guid.NewGuid();
        var name = RunNameFor(flow.Name, id);
        await Recorder.RecordAsync(new RunEvent.FlowRunCreated(new FlowRunRecord(id, name, flow.Name, null, FlowRun.ParametersJson(parameters),
            RunState.Pending, null, null, Now, Now)), cancellationToken).ConfigureAwait(false);
        FlowExecution execution;
        try
        {
            execution = await executor.StartAsync(parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var state = ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? RunState.Cancelled : RunState.Crashed;
            await EndAsync(id, state, $"its cluster did not start: {ex.Message}", ex.GetType().FullName).ConfigureAwait(false);
            return new(id, name, state, default, ex.Message, ex.GetType().FullName);
        }

        await using (execution.ConfigureAwait(false))
        {
            await LogAsync(id, $"cluster: {execution.Description}").ConfigureAwait(false);
            if (execution.DashboardLink is { } link) await LogAsync(id, $"dashboard: {link}").ConfigureAwait(false);
            return await RunBodyAsync(flow, parameters, execution, id, name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A subflow: its own record (with its parent) on its parent's execution.</summary>
    internal async Task<FlowRunResult<TResult>> RunInExecutionAsync<TParams, TResult>(Flow<TParams, TResult> flow, TParams parameters, FlowExecution execution, Guid parent, CancellationToken cancellationToken)
        where TParams : class
    {
        var id = Guid.NewGuid();
        var name = RunNameFor(flow.Name, id);
        await Recorder.RecordAsync(new RunEvent.FlowRunCreated(new FlowRunRecord(id, name, flow.Name, parent, FlowRun.ParametersJson(parameters),
            RunState.Pending, null, null, Now, Now)), cancellationToken).ConfigureAwait(false);
        return await RunBodyAsync(flow, parameters, execution, id, name, cancellationToken).ConfigureAwait(false);
    }

    private async Task<FlowRunResult<TResult>> RunBodyAsync<TParams, TResult>(Flow<TParams, TResult> flow, TParams parameters, FlowExecution execution,
        Guid id, string name, CancellationToken cancellationToken) where TParams : class
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watcher = new CancellationTokenSource();
        var watching = WatchForCancellationAsync(id, cancellation, watcher.Token);
        var run = new FlowRun(this, execution, id, name, cancellation.Token);
        var collecting = run.CollectTaskLogsUntilAsync(Options.CancellationPollInterval, Options.TimeProvider, watcher.Token);
        await Recorder.RecordAsync(new RunEvent.FlowRunState(id, RunState.Running, null, null, Now), CancellationToken.None).ConfigureAwait(false);
        RunState state;
        TResult? result = default;
        string? error = null, cause = null;
        var previous = FlowRun.Swap(run);
        try
        {
            result = await flow.Body(parameters).ConfigureAwait(false);
            await run.AllSettledAsync().WaitAsync(cancellation.Token).ConfigureAwait(false);
            state = RunState.Completed;
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            state = RunState.Cancelled;
            error = cancellationToken.IsCancellationRequested ? "cancelled by its caller" : "cancelled on request (shoal flows cancel)";
        }
        catch (TaskRunFailedException ex)
        {
            state = RunState.Failed;
            error = ex.Message;
            cause = ex.Cause ?? ex.State.ToString();
        }
        catch (Exception ex)
        {
            state = RunState.Failed;
            error = ex.Message;
            cause = ex.GetType().FullName;
        }
        finally
        {
            FlowRun.Swap(previous);
            await watcher.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(false);
            await collecting.ConfigureAwait(false);
        }

        // Task runs still going (a failed body) end with the run: cancelled, recorded.
        if (state != RunState.Completed)
        {
            await cancellation.CancelAsync().ConfigureAwait(false);
            await run.AllSettledAsync().ConfigureAwait(false);
        }

        // Every task run has ended: one last read holds all the lines they logged.
        await run.CollectSafelyAsync(CancellationToken.None).ConfigureAwait(false);
        run.ReleaseAll();
        await EndAsync(id, state, error, cause).ConfigureAwait(false);
        return new(id, name, state, state == RunState.Completed ? result : default, error, cause);
    }

    private async Task WatchForCancellationAsync(Guid id, CancellationTokenSource cancellation, CancellationToken stop)
    {
        try
        {
            using var timer = new PeriodicTimer(Options.CancellationPollInterval, Options.TimeProvider);
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (await Store.IsCancellationRequestedAsync(id, stop).ConfigureAwait(false))
                {
                    await LogAsync(id, "cancellation requested; cancelling its task runs").ConfigureAwait(false);
                    await cancellation.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the run ended
        }
    }

    private async Task EndAsync(Guid id, RunState state, string? error, string? cause)
    {
        if (error is not null) await LogAsync(id, $"{state}: {error}", "Error").ConfigureAwait(false);
        await Recorder.RecordAsync(new RunEvent.FlowRunState(id, state, error, cause, Now), CancellationToken.None).ConfigureAwait(false);
        await Recorder.FlushAsync().ConfigureAwait(false);
    }

    private ValueTask LogAsync(Guid id, string message, string level = "Info")
    {
        Logger.LogInformation("{Run}: {Message}", id, message);
        return Recorder.RecordAsync(new RunEvent.Log(id, null, level, message, Now));
    }

    private DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    private string RunNameFor(string flow, Guid id) => $"{flow}-{Now.UtcDateTime:yyyyMMdd-HHmmss}-{id.ToString("N")[..6]}";

    internal IReadOnlyDictionary<string, double>? ResourcesFor(IReadOnlyList<string> tags)
    {
        if (tags.Count == 0 || Options.TagResources.Count == 0) return null;
        Dictionary<string, double>? resources = null;
        foreach (var tag in tags)
        {
            if (!Options.TagResources.TryGetValue(tag, out var asked)) continue;
            resources ??= new(StringComparer.Ordinal);
            foreach (var (name, amount) in asked) resources[name] = Math.Max(amount, resources.GetValueOrDefault(name));
        }

        return resources;
    }

    /// <summary>Takes a slot of every limited tag (in name order, so two runs never wait on each other).</summary>
    internal async ValueTask<IDisposable> AcquireSlotsAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        if (tags.Count == 0 || Options.ConcurrencyLimits.Count == 0) return NoSlots.Instance;
        var taken = new List<SemaphoreSlim>();
        try
        {
            foreach (var tag in tags.Distinct().Order(StringComparer.Ordinal))
            {
                if (!Options.ConcurrencyLimits.TryGetValue(tag, out var limit)) continue;
                var semaphore = limits.GetOrAdd(tag, _ => new SemaphoreSlim(limit));
                await semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(semaphore);
            }
        }
        catch
        {
            foreach (var semaphore in taken) semaphore.Release();
            throw;
        }

        return new Slots(taken);
    }

    /// <summary>Writes what is still queued to the store.</summary>
    /// <returns>Completes when written.</returns>
    public async ValueTask DisposeAsync()
    {
        await Recorder.DisposeAsync().ConfigureAwait(false);
        foreach (var semaphore in limits.Values) semaphore.Dispose();
    }

    private sealed class NoSlots : IDisposable
    {
        public static readonly NoSlots Instance = new();

        public void Dispose()
        {
            // nothing was taken
        }
    }

    private sealed class Slots(List<SemaphoreSlim> taken) : IDisposable
    {
        public void Dispose()
        {
            foreach (var semaphore in taken) semaphore.Release();
        }
    }
}
