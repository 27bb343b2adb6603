using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Shoal.Flows;

/// <summary>
/// One flow run while it runs: submits its task runs through the client, records every state
/// change, and is the ambient context of the flow's body (<see cref="Current"/>), so that
/// <c>TimesTwo.Map(x)</c> needs no context argument.
/// </summary>
internal sealed partial class FlowRun
{
    private static readonly AsyncLocal<FlowRun?> Ambient = new();
    private readonly ConcurrentDictionary<Guid, TaskRun> live = new();
    private readonly ConcurrentDictionary<string, int> counters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim inCluster;
    private int outstanding;
    private TaskCompletionSource allSettled = NewSettled();

    public FlowRun(FlowRunner runner, FlowExecution execution, Guid id, string name, CancellationToken token)
    {
        Runner = runner;
        Execution = execution;
        Id = id;
        Name = name;
        Token = token;
        inCluster = new SemaphoreSlim(runner.Options.MaxTasksInCluster);
    }

    public FlowRunner Runner { get; }

    public FlowExecution Execution { get; }

    public Client Client => Execution.Client;

    public Guid Id { get; }

    public string Name { get; }

    public CancellationToken Token { get; }

    public static FlowRun Current => Ambient.Value
        ?? throw new InvalidOperationException("tasks are submitted from inside a flow's body (FlowRunner.RunAsync runs it); there is no flow run here");

    internal static FlowRun? Swap(FlowRun? run)
    {
        var previous = Ambient.Value;
        Ambient.Value = run;
        return previous;
    }

    private DateTimeOffset Now => Runner.Options.TimeProvider.GetUtcNow();

    public void Log(string level, string message, Guid? taskRunId)
    {
        Runner.Logger.Log(level == "Error" ? LogLevel.Error : level == "Warning" ? LogLevel.Warning : LogLevel.Information, "{Run}: {Message}", Name, message);
        Record(new RunEvent.Log(Id, taskRunId, level, message, Now));
    }

    private void Record(RunEvent e)
    {
        var pending = Runner.Recorder.RecordAsync(e, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult(); // the store is behind: wait for room
    }

    private string RunName(FlowTask task, int? index) =>
        index is { } i ? $"{task.Name}-{i}" : $"{task.Name}-{counters.AddOrUpdate(task.Name, 0, (_, n) => n + 1)}";

    public TaskRun<TResult> Submit<T, TResult>(FlowTask<T, TResult> task, In<T> input, int? index, TaskRun[] waitFor) =>
        Start<TResult>(task, index, [.. input.Upstream], waitFor,
            () =>
            {
                // One checked delegate per task, the input an argument (a value or a future): the
                // client's per-submission work stays that of a plain Submit. A reduce's array
                // input is assembled on the worker by a closure of its futures instead.
                var runner = task.Runner;
                if (input.Gathered is null) return options => Client.Submit(runner, input.Arg(), options);
                var work = task.Bind(input.Provider(this));
                return options => Client.Submit(work, options);
            },
            async ct => [(await ValueOf(input, ct).ConfigureAwait(false), typeof(T))]);

    public TaskRun<TResult> Submit<T1, T2, TResult>(FlowTask<T1, T2, TResult> task, In<T1> input1, In<T2> input2, int? index, TaskRun[] waitFor) =>
        Start<TResult>(task, index, [.. input1.Upstream, .. input2.Upstream], waitFor,
            () =>
            {
                var runner = task.Runner;
                if (input1.Gathered is null && input2.Gathered is null) return options => Client.Submit(runner, input1.Arg(), input2.Arg(), options);
                var work = task.Bind(input1.Provider(this), input2.Provider(this));
                return options => Client.Submit(work, options);
            },
            async ct => [(await ValueOf(input1, ct).ConfigureAwait(false), typeof(T1)), (await ValueOf(input2, ct).ConfigureAwait(false), typeof(T2))]);

    /// <summary>An input's value here (for cache keys): the upstream results are fetched.</summary>
    private static async Task<object?> ValueOf<T>(In<T> input, CancellationToken ct)
    {
        if (input.Run is { } run) return await run.ResultAsync(ct).ConfigureAwait(false);
        if (input.GatheredRuns is { } runs)
        {
            var values = new List<object?>(runs.Length);
            foreach (var r in runs) values.Add(await r.BoxedResultAsync(ct).ConfigureAwait(false));
            return values;
        }

        return input.Value;
    }

    private TaskRun<TResult> Start<TResult>(FlowTask task, int? index, TaskRun[] inputs, TaskRun[] waitFor,
        Func<Func<SubmitOptions, Future<TResult>>> body, Func<CancellationToken, Task<(object?, Type)[]>> inputValues)
    {
        var run = new TaskRun<TResult>(Guid.NewGuid(), RunName(task, index));
        var upstream = inputs.Concat(waitFor).Distinct().ToArray();
        run.Depth = upstream.Length == 0 ? 0 : upstream.Max(u => u.Depth) + 1;
        live[run.Id] = run;
        ExpectTaskLogs(run);
        Interlocked.Increment(ref outstanding);
        Record(new RunEvent.TaskRunCreated(new TaskRunRecord(run.Id, Id, run.Name, task.Name, [.. upstream.Select(u => u.Id)], RunState.Pending, null, null, 0, Now, Now)));
        _ = ExecuteAsync(run, task, inputs, upstream, body, inputValues);
        return run;
    }

    /// <summary>Completes when every task run submitted so far has ended.</summary>
    public Task AllSettledAsync()
    {
        lock (live)
        {
            return Volatile.Read(ref outstanding) == 0 ? Task.CompletedTask : allSettled.Task;
        }
    }

    private void Settled()
    {
        if (Interlocked.Decrement(ref outstanding) != 0) return;
        lock (live)
        {
            var done = allSettled;
            allSettled = NewSettled();
            done.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSettled() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Forgets a run whose result was consumed (streamed maps), releasing its result in the cluster.</summary>
    internal void Forget(TaskRun run)
    {
        live.TryRemove(run.Id, out _);
        run.ReleaseFuture();
    }

    /// <summary>Releases every result still held in the cluster (the run ended).</summary>
    public void ReleaseAll()
    {
        foreach (var run in live.Values) run.ReleaseFuture();
        live.Clear();
    }

    public async Task<TResult> RunSubflowAsync<TParams, TResult>(Flow<TParams, TResult> flow, TParams parameters) where TParams : class
    {
        FlowParameters.Validate(flow.Name, parameters);
        var result = await Runner.RunInExecutionAsync(flow, parameters, Execution, Id, Token).ConfigureAwait(false);
        return result.State == RunState.Completed
            ? result.Result!
            : throw new InvalidOperationException($"subflow {result.Name} ended {result.State}: {result.Error}");
    }

    internal static string ParametersJson(object parameters) => JsonSerializer.Serialize(parameters, parameters.GetType(), FlowParameters.Json);
}
