using System.Reflection;
using Shoal.Comm;
using Shoal.Protocol.Messages;

namespace Shoal;

// Futures as values of a Variable or items of a DistributedQueue (Dask allows both): the value travels as the future's
// key; the scheduler keeps the key's task alive while the value is in the primitive; whoever gets it gets a future of
// its own client, wanted by that client before the primitive's hold goes.
public sealed partial class Client
{
    /// <summary>Sends a value-carrying request (variable set, queue put): a future as its key, anything else encoded.</summary>
    internal async Task CoordinateValueAsync<T>(CoordinationRequest request, T value, CancellationToken cancellationToken)
    {
        request.HasValue = true;
        if (value is not Future future)
        {
            var encoded = EncodeForCoordination(value);
            request.TypeName = encoded.TypeName;
            await CoordinateAsync(request, encoded.Segments, cancellationToken).ConfigureAwait(false);
            return;
        }

        OwnEntry(future); // another client's future is refused, as gather refuses it
        // The task must reach the scheduler before the value names its key.
        await _outbox.DrainAsync().ConfigureAwait(false);
        request.FutureKey = future.Key;
        request.TypeName = ResultTypeOf(future.GetType())?.FullName ?? "";
        await CoordinateAsync(request, default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The value of a variable get or queue get: decoded, or for a future a <see cref="Future{T}"/> of this client
    /// (then wanted here before the queue's hold on it goes; a key gone meanwhile makes a cancelled future).
    /// </summary>
    internal async Task<T> ReceiveCoordinationValueAsync<T>(IncomingMessage incoming, string what)
    {
        var reply = incoming.Message.CoordinationReply;
        if (reply.FutureKey.Length == 0) return DecodeCoordinationValue<T>(incoming);
        var resultType = ResultTypeOf(typeof(T));
        var key = reply.FutureKey;
        if (resultType is null)
        {
            // Nobody will hold it here: the queue's hold goes all the same, so the key is not kept forever.
            if (reply.FutureHold != 0) await TellFutureTakenAsync(what, [], reply.FutureHold).ConfigureAwait(false);
            throw new InvalidCastException($"{what} holds a future ({key}, of {reply.TypeName}); read it as Future<TResult>, not {typeof(T).Name}");
        }

        var entry = Acquire(key, resultType, out _);
        var made = (T)Activator.CreateInstance(typeof(Future<>).MakeGenericType(resultType), BindingFlags.Instance | BindingFlags.NonPublic, null, [key, entry], null)!;
        var gone = reply.FutureHold != 0
            ? await TellFutureTakenAsync(what, [key], reply.FutureHold).ConfigureAwait(false)
            : await WantExistingAsync(what, [key]).ConfigureAwait(false);
        if (gone.Count > 0) entry.SetCancelled($"{what}: {key} is no longer on the cluster");
        return made;
    }

    private async Task<IReadOnlyList<string>> TellFutureTakenAsync(string what, string[] keys, long hold)
    {
        var taken = new CoordinationRequest { Op = CoordinationOp.FutureTaken, Name = what, LeaseId = hold.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        taken.Keys.AddRange(keys);
        return [.. (await CoordinateAsync(taken, default, CancellationToken.None).ConfigureAwait(false)).Message.CoordinationReply.Keys];
    }

    private async Task<IReadOnlyList<string>> WantExistingAsync(string what, string[] keys)
    {
        var want = new CoordinationRequest { Op = CoordinationOp.DatasetWantKeys, Name = what };
        want.Keys.AddRange(keys);
        return [.. (await CoordinateAsync(want, default, CancellationToken.None).ConfigureAwait(false)).Message.CoordinationReply.Keys];
    }

    /// <summary>TResult of <c>Future&lt;TResult&gt;</c>; null for any other type.</summary>
    private static Type? ResultTypeOf(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Future<>) ? type.GetGenericArguments()[0] : null;
}
