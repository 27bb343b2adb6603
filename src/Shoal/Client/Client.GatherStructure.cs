using Shoal.ClientSide;
using Shoal.Serialization;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>
    /// Gathers the futures inside a structure (dictionaries, lists, arrays, sets and tuples, at any depth, mixed with
    /// plain values) into the same structure of values, as <typeparamref name="TResult"/>: a
    /// <c>Dictionary&lt;string, List&lt;Future&lt;int&gt;&gt;&gt;</c> becomes a <c>Dictionary&lt;string, List&lt;int&gt;&gt;</c>.
    /// Results are fetched as their tasks finish, in batches, as <see cref="GatherAsync{T}(IEnumerable{Future{T}}, CancellationToken)"/> does.
    /// </summary>
    /// <typeparam name="TResult">The structure of values to return.</typeparam>
    /// <param name="structure">The structure holding this client's futures.</param>
    /// <param name="errors">Throw the first failure (the default) or leave failed and cancelled futures out.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The structure with every future replaced by its result.</returns>
    public async Task<TResult> GatherAsync<TResult>(object structure, GatherErrors errors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var keys = new List<string>();
        FutureScanner.Collect(structure, keys);
        var entries = new List<ClientKeyEntry>(keys.Count);
        var byKey = new Dictionary<string, ClientKeyEntry>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (byKey.ContainsKey(key)) continue;
            var entry = Find(key) ?? throw new InvalidOperationException($"Future '{key}' in the structure is not held by this client.");
            byKey[key] = entry;
            entries.Add(entry);
        }

        var all = entries.ToArray();
        if (errors == GatherErrors.Raise)
        {
            await FetchAsTheyFinishAsync(all, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await AllDone(all).WaitAsync(cancellationToken).ConfigureAwait(false);
            await FetchCompletedAsync(all, cancellationToken).ConfigureAwait(false);
        }

        var result = StructuralBinder.Convert(structure, typeof(TResult),
            key => byKey[key] is { Status: FutureStatus.Finished, HasValue: true } entry ? entry.Value : StructuralBinder.Skipped, "the gathered structure");
        return ReferenceEquals(result, StructuralBinder.Skipped) ? default! : (TResult)result!;
    }

    /// <summary>Waits for all <paramref name="futures"/> and returns the results of those that finished, in order, leaving out those that failed or were cancelled when <paramref name="errors"/> is <see cref="GatherErrors.Skip"/>.</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="futures">The futures.</param>
    /// <param name="errors">Throw the first failure, or skip failures.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The results.</returns>
    public Task<T[]> GatherAsync<T>(IEnumerable<Future<T>> futures, GatherErrors errors, CancellationToken cancellationToken = default) =>
        errors == GatherErrors.Raise ? GatherAsync(futures, cancellationToken) : GatherAsync<T[]>(futures as Future<T>[] ?? [.. futures], errors, cancellationToken);
}
