using Shoal.Comm;
using Shoal.Protocol.Messages;
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
        var run = TaskRunSpec.Create(function, args, ClosureOptions);
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
            _outbox.Submit(BuildSpec(key, run, options), RunSegments(run), CodeOf(run));
        }

        return future;
    }

    private static TaskSpec BuildSpec(string key, TaskRunSpec run, SubmitOptions options)
    {
        var spec = new TaskSpec { Key = key, Priority = options.Priority, Retries = options.Retries, Wanted = true, AllowOtherWorkers = options.AllowOtherWorkers };
        foreach (var dependency in run.DependencyKeys) spec.Dependencies.Add(dependency);
        if (options.Resources is { } resources)
        {
            foreach (var pair in resources) spec.Resources.Add(pair.Key, pair.Value);
        }

        if (options.Workers is { } workers)
        {
            foreach (var worker in workers) spec.Workers.Add(worker);
        }

        return spec;
    }

    private static T[] AsArray<T>(IEnumerable<T> items) => items as T[] ?? [.. items];
}
