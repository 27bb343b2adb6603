using Shoal.ClientSide;
using Shoal.Protocol.Messages;
using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>Every submission ends here: capture, key, and queue for the scheduler.</summary>
    internal Future<TResult> SubmitCore<TResult>(Delegate function, object?[] args, SubmitOptions? options)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        options ??= SubmitOptions.Default;
        CheckOptions(options);
        var run = CreateRunSpec(function, args);
        WarnOfLargeArguments(function, args);
        var prefix = KeyTokenizer.Prefix(function);
        var key = options.Key
            ?? (options.Pure ? KeyTokenizer.Key(prefix, function, args) : null)
            ?? KeyTokenizer.RandomKey(prefix);
        return Enqueue<TResult>(key, run, options);
    }

    private Future<TResult> Enqueue<TResult>(string key, TaskRunSpec run, SubmitOptions options)
    {
        var entry = Acquire(key, typeof(TResult), out var isNew);
        var future = new Future<TResult>(key, entry);
        if (isNew)
        {
            if (CancelledDependency(run.DependencyKeys) is { } cancelled)
            {
                // Never sent: the scheduler no longer knows the dependency, and would fail it as unknown.
                entry.SetCancelled($"it depends on '{cancelled}', which was cancelled");
                return future;
            }

            QueueTask(BuildSpec(key, run, options), run);
        }

        return future;
    }

    /// <summary>Queues a task for the scheduler with the code it needs.</summary>
    private void QueueTask(TaskSpec spec, TaskRunSpec run)
    {
        var (packed, segments, code) = Packed(spec, run);
        _outbox.Submit(packed, segments, code);
    }

    /// <summary>A task as the outbox sends it: the spec, the run spec's segments, the code (which the outbox names by its code set).</summary>
    private (TaskSpec, Segment[], ShippedAssembly[]) Packed(TaskSpec spec, TaskRunSpec run) => (spec, RunSegments(run), CodeOf(run));

    private static TaskSpec BuildSpec(string key, TaskRunSpec run, SubmitOptions options)
    {
        var spec = new TaskSpec { Key = key, Priority = options.Priority, Retries = options.Retries, Wanted = true, AllowOtherWorkers = options.AllowOtherWorkers };
        foreach (var dependency in run.DependencyKeys) spec.Dependencies.Add(dependency);
        if (options.Resources is { } resources)
        {
            foreach (var pair in resources) spec.Resources.Add(new ResourceAmount { Name = pair.Key, Amount = pair.Value });
        }

        if (options.Workers is { } workers)
        {
            foreach (var worker in workers) spec.Workers.Add(worker);
        }

        return spec;
    }

    private static T[] AsArray<T>(IEnumerable<T> items) => items as T[] ?? [.. items];

    /// <summary>How closures are checked: large captures warn through this client's logger.</summary>
    internal ClosureOptions ClosureOptions => _closureOptions ??= new ClosureOptions
    {
        LargeCaptureWarningBytes = Options.LargeCaptureWarningBytes,
        Warn = message => ClientLog.LargeCapture(_logger, message),
    };

    private ClosureOptions? _closureOptions;

    /// <summary>A run spec, checked and ready to travel; static functions are checked once per delegate.</summary>
    internal TaskRunSpec CreateRunSpec(Delegate function, object?[] args)
    {
        if (function.Target is null || !HasState(function.Target))
        {
            // TryGetValue first: GetValue's callback captures this client, a delegate allocated per task.
            if (!StaticFunctions.TryGetValue(function, out var spec)) spec = StaticFunctions.GetValue(function, f => FunctionSpec.For(f, ClosureOptions));
            return TaskRunSpec.Create(spec, args);
        }

        return TaskRunSpec.Create(function, args, ClosureOptions);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Delegate, FunctionSpec> StaticFunctions = new();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> StatefulTypes = new();

    private static bool HasState(object target) => StatefulTypes.GetOrAdd(target.GetType(),
        static t => t.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic).Length > 0);

    /// <summary>The run spec as segments: the object itself in-process, its serialized form otherwise.</summary>
    private Segment[] RunSegments(TaskRunSpec run) => ByReference ? [Segment.FromObject(run)] : run.Serialize();

    /// <summary>The assemblies a task needs on the workers (none in-process).</summary>
    private ShippedAssembly[] CodeOf(TaskRunSpec run)
    {
        if (ByReference) return [];
        var code = run.Code;
        if (code.IsEmpty) return [];
        return _shipped.GetOrAdd(code.Id, static (_, c) => [.. c.Assemblies.Select(a => new ShippedAssembly(a.HashBytes(), a.Name, a))], code);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ShippedAssembly[]> _shipped = new(StringComparer.Ordinal);
}
