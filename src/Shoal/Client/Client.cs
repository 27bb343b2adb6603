using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.ClientSide;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal;

/// <summary>
/// The user's handle on a cluster: submit tasks, map over sequences, gather and scatter values.
/// Connect with <see cref="ConnectAsync(ICluster, ClientOptions?, CancellationToken)"/> or
/// <see cref="ConnectAsync(string, ClientOptions?, CancellationToken)"/>; dispose to disconnect
/// (the scheduler then forgets everything this client held).
/// </summary>
public sealed partial class Client : IAsyncDisposable
{
    private readonly RpcConnection _scheduler;
    private readonly ConnectionPool _peers;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ClientKeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly ClientOutbox _outbox;
    private int _disposed;

    private Client(string address, RpcConnection scheduler, ConnectionPool peers, ClientOptions options, bool byReference)
    {
        SchedulerAddress = address;
        _scheduler = scheduler;
        _peers = peers;
        Options = options;
        ByReference = byReference;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Client>();
        _outbox = new ClientOutbox(this);
        Instruments = new ClientInstruments(options.Name, () => { lock (_keys) return _keys.Count; });
    }

    /// <summary>The client's meter (<c>Shoal.Client</c>).</summary>
    internal ClientInstruments Instruments { get; }

    /// <summary>The address of the scheduler this client talks to.</summary>
    public string SchedulerAddress { get; }

    /// <summary>The options the client was created with.</summary>
    public ClientOptions Options { get; }

    /// <summary>
    /// True when the client, scheduler and workers share this process: task code and values
    /// then travel by reference and nothing is serialised.
    /// </summary>
    public bool ByReference { get; }

    internal RpcConnection Scheduler => _scheduler;

    internal ILogger Logger => _logger;

    /// <summary>Connects to the scheduler of <paramref name="cluster"/>.</summary>
    public static Task<Client> ConnectAsync(ICluster cluster, ClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return ConnectAsync(cluster.SchedulerAddress, options, cancellationToken);
    }

    /// <summary>Connects to the scheduler at <paramref name="address"/> (<c>tcp://host:port</c>, <c>host:port</c> or <c>inproc://name</c>).</summary>
    public static async Task<Client> ConnectAsync(string address, ClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        options ??= new ClientOptions();
        DialOptions dial = null!;
        var connection = await SchedulerWait.ConnectAsync(address, Role.Client, options.Name,
            () => dial = new DialOptions { ConnectTimeout = options.ConnectTimeout, LoggerFactory = options.LoggerFactory,
                Security = options.Security ?? options.Credentials.Find(address), Credentials = options.Credentials },
            options.Security is not null, options.WaitForScheduler == Timeout.InfiniteTimeSpan ? null : options.WaitForScheduler,
            (ILogger?)options.LoggerFactory?.CreateLogger<Client>() ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        Client? client = null;
        var rpc = new RpcConnection(connection, message =>
        {
            client!.OnSchedulerMessage(message);
            return ValueTask.CompletedTask;
        });
        var peers = new ConnectionPool(Role.Peer, options.Name, dial);
        client = new Client(address, rpc, peers, options, connection.IsInProcess);
        rpc.ClosedError = reason => client.SchedulerLost(reason);
        _ = rpc.Completion.ContinueWith(static (_, state) => ((Client)state!).OnSchedulerLost(), client,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await client.LearnDashboardLinkAsync(dial.Security, cancellationToken).ConfigureAwait(false);
        return client;
    }

    /// <summary>The scheduler connection closed under us: nothing pending will ever be answered, so fail it rather than hang.</summary>
    private void OnSchedulerLost()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var lost = SchedulerLost();
        lock (_keys)
        {
            foreach (var entry in _keys.Values) entry.SetSchedulerLost(lost);
        }
    }

    /// <summary>What every call that needs the lost scheduler fails with.</summary>
    private SchedulerConnectionLostException SchedulerLost(Exception? reason = null) =>
        new(SchedulerAddress, reason ?? _scheduler.CloseReason);

    /// <summary>Describes the cluster: its workers and their load.</summary>
    public async Task<ClusterInfo> GetClusterInfoAsync(CancellationToken cancellationToken = default)
    {
        var id = _scheduler.NextRequestId();
        var reply = await _scheduler.RequestAsync(id, new Envelope { Identity = new IdentityRequest { RequestId = id } }, default, cancellationToken).ConfigureAwait(false);
        var identity = reply.Message.IdentityReply;
        return new ClusterInfo(identity.SchedulerId, identity.Address,
            identity.Workers.Select(w => new WorkerDescription(w.Name, w.Address, (int)w.Nthreads, (long)w.MemoryLimit,
                w.Resources.ToDictionary(r => r.Key, r => r.Value), (int)w.Executing, (int)w.StoredKeys)).ToArray(),
            (long)identity.Tasks);
    }

    /// <summary>Waits until at least <paramref name="count"/> workers are connected.</summary>
    public async Task WaitForWorkersAsync(int count, CancellationToken cancellationToken = default)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            var info = await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
            if (info.Workers.Count >= count) return;
            // Polling the scheduler is the protocol's way to learn of new workers; back off.
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(200, delay.TotalMilliseconds * 2));
        }
    }

    private void OnSchedulerMessage(IncomingMessage incoming)
    {
        var message = incoming.Message;
        switch (message.BodyCase)
        {
            case Envelope.BodyOneofCase.KeyInMemory:
                Find(message.KeyInMemory.Key)?.SetFinished([.. message.KeyInMemory.Workers]);
                break;
            case Envelope.BodyOneofCase.KeyErred:
                Find(message.KeyErred.Key)?.SetErred(message.KeyErred.Error, RemoteErrors.OriginalOf(message.KeyErred.Error, incoming.Segments.Span));
                break;
            case Envelope.BodyOneofCase.KeyLost:
                Find(message.KeyLost.Key)?.SetLost();
                break;
            case Envelope.BodyOneofCase.RestoreKeys:
                StartRestore(message.RestoreKeys);
                break;
            case Envelope.BodyOneofCase.KeyCancelled:
                OnKeyCancelled(message.KeyCancelled.Key, message.KeyCancelled.Reason);
                break;
            default:
                ClientLog.UnexpectedMessage(_logger, message.BodyCase.ToString());
                break;
        }
    }

    private ClientKeyEntry? Find(string key)
    {
        lock (_keys) return _keys.GetValueOrDefault(key);
    }

    /// <summary>Takes a reference on <paramref name="key"/>; true when the key is new to this client.</summary>
    internal ClientKeyEntry Acquire(string key, Type valueType, out bool isNew)
    {
        lock (_keys)
        {
            // A key this client cancelled is a new task when submitted again (Dask: cancel, then resubmit runs
            // the work again); the old futures keep their cancelled entry.
            if (!_keys.TryGetValue(key, out var entry) || entry.Status == FutureStatus.Cancelled && entry.LostScheduler is null)
            {
                entry = new ClientKeyEntry(this, key, valueType);
                _keys[key] = entry;
                isNew = true;
                if (_scheduler.IsClosed && Volatile.Read(ref _disposed) == 0) entry.SetSchedulerLost(SchedulerLost());
            }
            else
            {
                isNew = false;
            }

            entry.RefCount++;
            return entry;
        }
    }

    /// <summary>Drops a future's reference; the last one releases the key on the scheduler.</summary>
    internal void ReleaseReference(ClientKeyEntry entry)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        lock (_keys)
        {
            if (--entry.RefCount > 0) return;
            // An entry replaced by a resubmission after a cancel: the scheduler dropped this client's want of the
            // old one at the cancel, and a release now would drop the new submission's.
            if (!_keys.TryGetValue(entry.Key, out var current) || !ReferenceEquals(current, entry)) return;
            _keys.Remove(entry.Key);
            // Queued under the lock: a Submit or Scatter of the same key that acquires a new entry right after
            // must reach the scheduler after this release, not before it (a finalizer releasing last
            // iteration's future while the next scatters the same bytes had the scheduler forget the new key).
            _outbox.Release(entry.Key);
        }
    }

    internal int LiveKeyCount
    {
        get { lock (_keys) return _keys.Count; }
    }

    /// <summary>Disconnects; the scheduler forgets what this client held.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await FinishRestoresAsync().ConfigureAwait(false);
            await _outbox.DrainAsync().ConfigureAwait(false);
            _scheduler.Send(new Envelope { CloseClient = new CloseClient() });
            await _scheduler.Connection.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConnectionClosedException or ObjectDisposedException or IOException)
        {
            // The scheduler is gone already; nothing to tell it.
        }

        await _scheduler.DisposeAsync().ConfigureAwait(false);
        await _peers.DisposeAsync().ConfigureAwait(false);
        Instruments.Dispose();
        lock (_keys)
        {
            foreach (var entry in _keys.Values) entry.SetCancelled("the client was disposed");
            _keys.Clear();
        }
    }
}
