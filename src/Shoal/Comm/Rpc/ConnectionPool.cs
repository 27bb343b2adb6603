using Shoal.Protocol.Messages;

namespace Shoal.Comm.Rpc;

/// <summary>
/// One multiplexed data connection per peer address (requests carry ids, so one connection
/// serves any number of concurrent requests). A closed connection is replaced on next use.
/// </summary>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly Dictionary<string, Task<RpcConnection>> _connections = new(StringComparer.Ordinal);
    private readonly Role _role;
    private readonly string _name;
    private readonly DialOptions _options;
    private readonly Action<IConnection>? _opened;
    private bool _disposed;

    /// <param name="role">The role this end dials as.</param>
    /// <param name="name">The name it gives.</param>
    /// <param name="options">How it dials.</param>
    /// <param name="opened">Told of every connection dialled (a worker's traffic metrics count it).</param>
    public ConnectionPool(Role role, string name, DialOptions options, Action<IConnection>? opened = null)
    {
        _role = role;
        _name = name;
        _options = options;
        _opened = opened;
    }

    public async Task<RpcConnection> GetAsync(string address, CancellationToken cancellationToken)
    {
        Task<RpcConnection> task;
        lock (_connections)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_connections.TryGetValue(address, out task!) || task.IsFaulted || task.IsCanceled || (task.IsCompletedSuccessfully && task.Result.IsClosed))
            {
                task = ConnectAsync(address);
                _connections[address] = task;
            }
        }

        return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<RpcConnection> ConnectAsync(string address)
    {
        var connection = await Dial.ConnectAsync(address, _role, _name, _options, CancellationToken.None).ConfigureAwait(false);
        _opened?.Invoke(connection);
        return new RpcConnection(connection, onMessage: null);
    }

    /// <summary>Forgets a connection that failed, so the next request dials again.</summary>
    public void Evict(string address)
    {
        lock (_connections) _connections.Remove(address);
    }

    public async ValueTask DisposeAsync()
    {
        Task<RpcConnection>[] all;
        lock (_connections)
        {
            _disposed = true;
            all = [.. _connections.Values];
            _connections.Clear();
        }

        foreach (var task in all)
        {
            try
            {
                var connection = await task.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A connection that never opened has nothing to close.
            }
        }
    }
}
