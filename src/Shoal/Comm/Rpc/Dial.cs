using Microsoft.Extensions.Logging;
using Shoal.Protocol;
using Shoal.Protocol.Messages;

namespace Shoal.Comm.Rpc;

/// <summary>Options for dialling a peer.</summary>
internal sealed record DialOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Credentials; null: those <see cref="Credentials"/> knows for the address, else none.</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>Where credentials nobody passed are found (this user's unless the caller passes its own).</summary>
    public Shoal.Security.LocalCredentials Credentials { get; init; } = Shoal.Security.LocalCredentials.ForThisUser;
}

/// <summary>Options for listening.</summary>
internal sealed record ListenOptions
{
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Roles this listener accepts; others are refused in the handshake.</summary>
    public IReadOnlyList<Role> AcceptedRoles { get; init; } = [];

    /// <summary>Credentials peers must prove (TLS certificates and/or a token); null: none.</summary>
    public SecurityOptions? Security { get; init; }

    /// <summary>
    /// Refuse to listen on a non-loopback address without TLS, unless <see cref="Insecure"/>
    /// (schedulers and workers set this: whoever reaches a scheduler runs code on every worker,
    /// whoever reaches a worker's data plane reads its results and can hand it false ones).
    /// </summary>
    public bool RequireTlsOffLoopback { get; init; }

    /// <summary>Run in clear off loopback anyway: warned about at start and on each client connection.</summary>
    public bool Insecure { get; init; }
}

/// <summary>A listening endpoint; disposing it stops listening.</summary>
internal interface IListenerHandle : IAsyncDisposable
{
    /// <summary>The bound address (with the real port when port 0 was asked for).</summary>
    string Address { get; }
}

/// <summary>
/// How servers and clients open connections: the comm layer's transports with this project's
/// roles and names filled in, plus an accept loop that hands each connection to a handler.
/// </summary>
internal static class Dial
{
    public static async Task<IConnection> ConnectAsync(string address, Role role, string name, DialOptions options, CancellationToken cancellationToken)
    {
        var connectionOptions = new ConnectionOptions { Role = role, Name = name, Security = options.Security ?? options.Credentials.Find(address) };
        if (options.LoggerFactory is { } loggers) connectionOptions.LoggerFactory = loggers;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            try
            {
                return await Transports.ConnectAsync(address, connectionOptions, timeout.Token).ConfigureAwait(false);
            }
            catch (Protocol.HandshakeRefusedException refused) when (connectionOptions.Security is { FoundOnDisk: true }
                && refused.Message.Contains("expects 'none'", StringComparison.Ordinal))
            {
                // Never downgrade: a listener that wants no credentials where a live scheduler's token file says
                // there should be some is not that scheduler (a token file of a dead one is ignored when found).
                throw new Protocol.HandshakeRefusedException(
                    $"{address} expects no credentials, but the token file of the scheduler on this machine that listens there " +
                    $"({options.Credentials.TokenFilePath(address)}) says it uses a token. Shoal does not fall back to an " +
                    "unauthenticated connection: another process may be listening on that port. Pass SecurityOptions explicitly " +
                    "if this is the scheduler you mean.", refused.Refusal);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Could not reach {address} within {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
    }

    public static async Task<IListenerHandle> ListenAsync(string address, Role role, string name, ListenOptions options,
        Func<IConnection, Task> onConnection, CancellationToken cancellationToken)
    {
        var listenerOptions = new ListenerOptions { Role = role, Name = name, Security = options.Security };
        if (options.LoggerFactory is { } loggers) listenerOptions.LoggerFactory = loggers;
        var plaintextOffLoopback = Security.ListenerPolicy.IsPlaintextOffLoopback(address, options.Security);
        if (plaintextOffLoopback && options.RequireTlsOffLoopback && !options.Insecure)
            throw Security.ListenerPolicy.Refuse(address, role);
        var listener = await Transports.ListenAsync(address, listenerOptions, cancellationToken).ConfigureAwait(false);
        var logger = listenerOptions.LoggerFactory.CreateLogger("Shoal.Security");
        var warnEachClient = plaintextOffLoopback && options.RequireTlsOffLoopback;
        if (warnEachClient) Security.SecurityLog.InsecureListener(logger, listener.Address, Security.ListenerPolicy.RiskOf(role));
        return new ListenerHandle(listener, options.AcceptedRoles, warnEachClient
            ? connection =>
            {
                // Clients of a scheduler, and clients and peer workers fetching from a worker.
                if (connection.Peer.Role is Role.Client or Role.Peer)
                    Security.SecurityLog.InsecureClient(logger, RoleNames.Of(connection.Peer.Role), connection.Peer.Name, connection.RemoteAddress);
                return onConnection(connection);
            }
            : onConnection);
    }

    private sealed class ListenerHandle : IListenerHandle
    {
        private readonly IListener _listener;
        private readonly IReadOnlyList<Role> _roles;
        private readonly Func<IConnection, Task> _onConnection;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _acceptLoop;
        private readonly HashSet<Task> _running = [];

        public ListenerHandle(IListener listener, IReadOnlyList<Role> roles, Func<IConnection, Task> onConnection)
        {
            _listener = listener;
            _roles = roles;
            _onConnection = onConnection;
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public string Address => _listener.Address;

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false) is { } connection)
                {
                    if (_roles.Count > 0 && !_roles.Contains(connection.Peer.Role))
                    {
                        _ = connection.CloseAsync($"this endpoint does not accept {connection.Peer.Role} connections").AsTask();
                        continue;
                    }

                    var task = Task.Run(() => _onConnection(connection));
                    lock (_running) _running.Add(task);
                    _ = task.ContinueWith(t => { lock (_running) _running.Remove(t); }, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
            catch (ObjectDisposedException)
            {
                // stopping
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _listener.DisposeAsync().ConfigureAwait(false);
            try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
            Task[] running;
            lock (_running) running = [.. _running];
            try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { /* handlers log their own failures */ }
            _stop.Dispose();
        }
    }
}
