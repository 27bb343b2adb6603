using Shoal.Protocol.Messages;

namespace Shoal;

/// <summary>
/// A semaphore held by the scheduler (Dask's <c>Semaphore</c>): at most <see cref="MaxLeases"/> leases are held at
/// once across the cluster. A lease belongs to the client that acquired it and is released when that client leaves or
/// dies (a task's client goes with its worker), so a crashed holder does not keep it. Every client must name the same
/// number of leases for one name.
/// </summary>
/// <param name="client">The client to reach the scheduler through.</param>
/// <param name="name">The semaphore's name on the cluster.</param>
/// <param name="maxLeases">How many leases may be held at once.</param>
public class DistributedSemaphore(Client client, string name, int maxLeases)
{
    private readonly Client _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The semaphore's name on the cluster.</summary>
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("a semaphore needs a name", nameof(name));

    /// <summary>How many leases may be held at once.</summary>
    public int MaxLeases { get; } = maxLeases >= 1 ? maxLeases : throw new ArgumentOutOfRangeException(nameof(maxLeases), "a semaphore needs at least one lease");

    /// <summary>Acquires a lease, waiting until one is free; dispose the lease to release it.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(CancellationToken cancellationToken = default) =>
        await TryAcquireAsync(null, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"semaphore '{Name}': no lease and no timeout");

    /// <summary>Acquires a lease, waiting at most <paramref name="timeout"/> (null: no limit); null when none came in time.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        var lease = Guid.NewGuid().ToString("N");
        var incoming = await _client.CoordinateAsync(new CoordinationRequest
        {
            Op = CoordinationOp.SemaphoreAcquire, Name = Name, LeaseId = lease, MaxLeases = (uint)MaxLeases, Timeout = Client.TimeoutSeconds(timeout),
        }, default, cancellationToken).ConfigureAwait(false);
        return incoming.Message.CoordinationReply.Ok ? new Lease(this, lease) : null;
    }

    private Task ReleaseAsync(string lease) =>
        _client.CoordinateAsync(new CoordinationRequest { Op = CoordinationOp.SemaphoreRelease, Name = Name, LeaseId = lease }, default, CancellationToken.None);

    private sealed class Lease(DistributedSemaphore owner, string id) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) await owner.ReleaseAsync(id).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// A lock held by the scheduler (Dask's <c>Lock</c>): a <see cref="DistributedSemaphore"/> of one lease, released
/// when its holder leaves or dies. <c>await using (await lck.AcquireAsync()) { ... }</c>.
/// </summary>
/// <param name="client">The client to reach the scheduler through.</param>
/// <param name="name">The lock's name on the cluster.</param>
public sealed class DistributedLock(Client client, string name) : DistributedSemaphore(client, name, 1);
