using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal;

// Requests to the coordination primitives the scheduler holds, and published datasets (Dask's publish_dataset,
// get_dataset): one client hands results to another by name.
public sealed partial class Client
{
    /// <summary>
    /// Sends a coordination request and waits for its one answer. Cancelling asks the scheduler to stop waiting and
    /// still waits for the answer: if the request was done meanwhile (a queue item handed over, a lease granted), its
    /// result is returned rather than lost.
    /// </summary>
    internal async Task<IncomingMessage> CoordinateAsync(CoordinationRequest request, ReadOnlyMemory<Segment> segments, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var id = _scheduler.NextRequestId();
        request.RequestId = id;
        var reply = _scheduler.RequestAsync(id, new Envelope { Coordination = request }, segments, CancellationToken.None);
        IncomingMessage incoming;
        using (cancellationToken.Register(static s =>
        {
            var (scheduler, requestId) = ((RpcConnectionAndId)s!);
            try
            {
                scheduler.Send(new Envelope { CoordinationCancel = new CoordinationCancel { RequestId = requestId } });
            }
            catch (ConnectionClosedException)
            {
                // The pending request fails with the connection.
            }
        }, new RpcConnectionAndId(_scheduler, id)))
        {
            incoming = await reply.ConfigureAwait(false);
        }

        var answer = incoming.Message.CoordinationReply;
        if (answer.Error.Length > 0) throw new InvalidOperationException($"{request.Op} '{request.Name}': {answer.Error}");
        if (!answer.Ok && cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
        return incoming;
    }

    private sealed record RpcConnectionAndId(Comm.Rpc.RpcConnection Scheduler, ulong RequestId);

    /// <summary>Encodes a value for a primitive: by reference in-process, serialized otherwise.</summary>
    internal EncodedValue EncodeForCoordination(object? value) => Payloads.Encode(value, ByReference);

    /// <summary>The value of a coordination answer.</summary>
    internal static T DecodeCoordinationValue<T>(IncomingMessage incoming) => (T)Payloads.Decode(incoming.Segments.Span, typeof(T))!;

    /// <summary>Seconds for the wire: negative for no limit.</summary>
    internal static double TimeoutSeconds(TimeSpan? timeout) =>
        timeout is not { } t || t == Timeout.InfiniteTimeSpan ? -1 : Math.Max(0, t.TotalSeconds);

    /// <summary>
    /// Publishes <paramref name="futures"/> under <paramref name="name"/> (Dask's <c>publish_dataset</c>): the scheduler
    /// keeps their results until the dataset is withdrawn, even after this client leaves, and any client gets them with
    /// <see cref="GetDatasetAsync{T}"/>.
    /// </summary>
    /// <typeparam name="T">The results' type.</typeparam>
    /// <param name="name">The dataset's name.</param>
    /// <param name="futures">The futures to publish.</param>
    /// <param name="overwrite">Replace a dataset of that name; otherwise publishing a taken name fails.</param>
    /// <param name="cancellationToken">Stops waiting for the scheduler's answer.</param>
    /// <exception cref="InvalidOperationException">The name is taken (and <paramref name="overwrite"/> is false).</exception>
    public async Task PublishAsync<T>(string name, IEnumerable<Future<T>> futures, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(futures);
        var list = futures.ToArray();
        foreach (var f in list)
            if (f.Entry?.Owner != this) throw new ArgumentException($"future {f.Key} does not belong to this client", nameof(futures));
        // What this client submitted must reach the scheduler before the publication names it.
        await _outbox.DrainAsync().ConfigureAwait(false);
        var request = new CoordinationRequest { Op = CoordinationOp.DatasetPublish, Name = name, Overwrite = overwrite };
        foreach (var f in list)
        {
            request.Keys.Add(f.Key);
            request.TypeNames.Add(typeof(T).FullName ?? typeof(T).Name);
        }

        await CoordinateAsync(request, default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Futures for the results published under <paramref name="name"/> (Dask's <c>get_dataset</c>), held by this
    /// client from now on as if it had submitted them.
    /// </summary>
    /// <typeparam name="T">The results' type.</typeparam>
    /// <param name="name">The dataset's name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="KeyNotFoundException">No dataset of that name is published.</exception>
    public async Task<Future<T>[]> GetDatasetAsync<T>(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var incoming = await CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.DatasetGet, Name = name }, default, cancellationToken).ConfigureAwait(false);
        var answer = incoming.Message.CoordinationReply;
        if (!answer.Ok) throw new KeyNotFoundException($"no dataset named '{name}' is published");
        var futures = new Future<T>[answer.Keys.Count];
        for (var i = 0; i < futures.Length; i++)
        {
            var entry = Acquire(answer.Keys[i], typeof(T), out _);
            futures[i] = new Future<T>(answer.Keys[i], entry);
        }

        // Now that the futures exist, the scheduler may tell this client about their keys.
        var want = new CoordinationRequest { Op = CoordinationOp.DatasetWantKeys, Name = name };
        want.Keys.AddRange(answer.Keys);
        var wanted = await CoordinateAsync(want, default, CancellationToken.None).ConfigureAwait(false);
        foreach (var gone in wanted.Message.CoordinationReply.Keys)
            Find(gone)?.SetCancelled($"dataset '{name}': {gone} is no longer on the cluster");
        return futures;
    }

    /// <summary>Withdraws the dataset <paramref name="name"/>: its results are forgotten unless a client holds them.</summary>
    /// <exception cref="InvalidOperationException">No dataset of that name is published.</exception>
    public Task UnpublishAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.DatasetUnpublish, Name = name }, default, cancellationToken);
    }

    /// <summary>The names of the published datasets (Dask's <c>list_datasets</c>), in order.</summary>
    public async Task<IReadOnlyList<string>> ListDatasetsAsync(CancellationToken cancellationToken = default)
    {
        var incoming = await CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.DatasetList }, default, cancellationToken).ConfigureAwait(false);
        return [.. incoming.Message.CoordinationReply.Keys];
    }
}
