using Shoal.ClientSide;
using Shoal.Protocol;
namespace Shoal;

public sealed partial class Client
{
    /// <summary>Runs the task graph behind <paramref name="value"/> and returns its result; intermediate results are forgotten once used.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="value">The lazy value.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public async Task<T> ComputeAsync<T>(Delayed<T> value, CancellationToken cancellationToken = default)
    {
        using var future = Persist(value);
        return await future.ResultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the graphs behind several lazy values at once and returns their results in order.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="values">The lazy values.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The results.</returns>
    public async Task<T[]> ComputeAsync<T>(IEnumerable<Delayed<T>> values, CancellationToken cancellationToken = default)
    {
        var futures = Persist(values);
        try
        {
            return await GatherAsync(futures, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var future in futures) future.Dispose();
        }
    }

    /// <summary>Starts the graph behind <paramref name="value"/>; its result stays on the cluster for as long as the returned future lives.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="value">The lazy value.</param>
    /// <returns>A future for the result.</returns>
    public Future<T> Persist<T>(Delayed<T> value) => Persist([value])[0];

    /// <summary>Starts the graphs behind several lazy values (shared parts run once).</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="values">The lazy values.</param>
    /// <returns>One future per value.</returns>
    public Future<T>[] Persist<T>(IEnumerable<Delayed<T>> values)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var roots = values.ToArray();
        var wanted = roots.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        // The whole graph goes to the scheduler in one update: an intermediate sent alone would be
        // computed and forgotten (nobody wants it yet) before its dependents arrive.
        var batch = new List<(Protocol.Messages.TaskSpec, Protocol.Segment[], ShippedAssembly[])>();
        foreach (var node in TopologicalOrder(roots))
        {
            if (wanted.Contains(node.Key)) continue;
            // Intermediate nodes: the scheduler keeps them only while a dependent needs them.
            batch.Add(IntermediateTask(node));
        }

        var runs = roots.Select(r => CreateRunSpec(r.Function, r.Args)).ToArray();
        var futures = new Future<T>[roots.Length];
        for (var i = 0; i < roots.Length; i++)
        {
            var entry = Acquire(roots[i].Key, typeof(T), out var isNew);
            futures[i] = new Future<T>(roots[i].Key, entry);
            if (isNew) batch.Add(Packed(BuildSpec(roots[i].Key, runs[i], roots[i].Options), runs[i]));
        }

        _outbox.SubmitAll(batch);
        return futures;
    }

    private (Protocol.Messages.TaskSpec, Protocol.Segment[], ShippedAssembly[]) IntermediateTask(Delayed node)
    {
        var run = CreateRunSpec(node.Function, node.Args);
        var spec = BuildSpec(node.Key, run, node.Options);
        spec.Wanted = false;
        return Packed(spec, run);
    }

    /// <summary>Every node reachable from the roots, dependencies before dependents, each once.</summary>
    private static List<Delayed> TopologicalOrder(Delayed[] roots)
    {
        var order = new List<Delayed>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(Delayed Node, IEnumerator<Delayed> Children)>();
        foreach (var root in roots)
        {
            if (!visited.Add(root.Key)) continue;
            stack.Push((root, root.Dependencies().GetEnumerator()));
            while (stack.Count > 0)
            {
                var (node, children) = stack.Peek();
                if (children.MoveNext())
                {
                    var child = children.Current;
                    if (visited.Add(child.Key)) stack.Push((child, child.Dependencies().GetEnumerator()));
                }
                else
                {
                    stack.Pop();
                    order.Add(node);
                }
            }
        }

        return order;
    }
}
