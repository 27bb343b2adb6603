using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;

namespace Shoal.Scheduling;

/// <summary>
/// The I/O shell around <see cref="SchedulerState"/>: accepts client and worker connections,
/// turns their messages into state events on ONE loop (the state is single-threaded by design),
/// and turns the state's commands back into messages. Code blobs and who-has queries are served
/// here too; the state never sees a byte of user code or data.
/// </summary>
internal sealed partial class SchedulerServer : IAsyncDisposable
{
    private readonly SchedulerServerOptions _options;
    private readonly SchedulerState _state;
    private readonly ILogger _logger;
    private readonly Channel<SchedulerEvent> _events = Channel.CreateUnbounded<SchedulerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<int, Session> _workers = new();
    private readonly Dictionary<int, Session> _clients = new();
    private readonly Dictionary<string, int> _workerByAddress = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CodeRepository _code = new();
    private IListenerHandle? _listener;
    private Task _loop = Task.CompletedTask;
    private Task _ticker = Task.CompletedTask;
    private int _nextWorkerId;
    private int _nextClientId;
    private int _disposed;

    private SchedulerServer(SchedulerServerOptions options)
    {
        _options = options;
        _state = new SchedulerState(options.Config);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SchedulerServer>();
    }

    /// <summary>The address workers and clients dial.</summary>
    public string Address => _listener?.Address ?? _options.ListenAddress;

    /// <summary>The scheduler's id.</summary>
    public string Id => _options.Id;

    /// <summary>Completes when the server stopped.</summary>
    public Task Completion => _loop;

    /// <summary>Number of workers connected (read on the loop; approximate elsewhere).</summary>
    public int WorkerCount => Volatile.Read(ref _workerCount);

    private int _workerCount;

    private double Now => _clock.Elapsed.TotalSeconds;

    public static async Task<SchedulerServer> StartAsync(SchedulerServerOptions options, CancellationToken cancellationToken = default)
    {
        var server = new SchedulerServer(options);
        server._loop = Task.Run(server.RunLoopAsync);
        server._listener = await Dial.ListenAsync(options.ListenAddress, Role.Scheduler, options.Id,
            new ListenOptions
            {
                LoggerFactory = options.LoggerFactory, AcceptedRoles = [Role.Client, Role.Worker, Role.Nanny],
                Security = options.Security, RequireTlsOffLoopback = true, Insecure = options.Insecure,
            },
            server.OnConnectionAsync, cancellationToken).ConfigureAwait(false);
        server._ticker = Task.Run(server.TickLoopAsync);
        try
        {
            await server.StartDashboardAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        SchedulerLog.Listening(server._logger, server.Address);
        return server;
    }

    /// <summary>Runs one accepted connection: registers its session, reads its messages into the loop.</summary>
    private async Task OnConnectionAsync(IConnection connection)
    {
        var role = connection.Peer.Role;
        var id = role == Role.Worker ? Interlocked.Increment(ref _nextWorkerId) - 1 : Interlocked.Increment(ref _nextClientId) - 1;
        var session = new Session(id, role, connection) { LastSeen = Now };
        _traffic.Track(connection);
        string reason = "connection closed";
        try
        {
            if (role == Role.Client) _events.Writer.TryWrite(SchedulerEvent.Connected(session));
            while (!_stopping.IsCancellationRequested)
            {
                var incoming = await connection.ReceiveAsync(_stopping.Token).ConfigureAwait(false);
                if (incoming is null) break;
                session.LastSeen = Now;
                if (!RoleMayStateThis(role, incoming.Value.Message.BodyCase))
                {
                    reason = $"a {role} connection may not send {incoming.Value.Message.BodyCase}";
                    SchedulerLog.RefusedMessage(_logger, connection.RemoteAddress, reason);
                    break;
                }

                if (TryServeDirectly(session, incoming.Value)) continue;
                _events.Writer.TryWrite(SchedulerEvent.Message(session, incoming.Value));
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            reason = "scheduler stopping";
        }
        catch (Exception e)
        {
            reason = e.Message;
        }
        finally
        {
            _events.Writer.TryWrite(SchedulerEvent.Disconnected(session, reason));
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref _tickWrittenAt, Now);
                _events.Writer.TryWrite(SchedulerEvent.Tick);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>The one loop that owns the state: drain every queued event, then emit the commands.</summary>
    private async Task RunLoopAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                try
                {
                    Handle(e);
                }
                catch (Exception ex)
                {
                    // A bad message must not take the scheduler down: log it and drop that connection.
                    SchedulerLog.EventFailed(_logger, e.Kind.ToString(), e.Session?.Connection.RemoteAddress ?? "-", ex);
                    if (e.Session is { } s) _ = s.Connection.CloseAsync($"scheduler could not handle {e.Kind}: {ex.Message}").AsTask();
                }

                EmitCommands();
            }

            if (_retiring.Count > 0)
            {
                ProgressRetirements(Now);
                EmitCommands();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        await StopDashboardAsync().ConfigureAwait(false);
        if (_listener is not null) await _listener.DisposeAsync().ConfigureAwait(false);
        List<Session> sessions;
        lock (_workers) sessions = [.. _workers.Values, .. _clients.Values];
        foreach (var session in sessions)
        {
            try
            {
                if (session.Role == Role.Worker && !_crashed) session.Connection.Send(new Envelope { CloseWorker = new CloseWorker { Reason = "scheduler closing" } });
                await session.Connection.CloseAsync("scheduler closing").ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already closed.
            }
        }

        _events.Writer.TryComplete();
        try { await _loop.ConfigureAwait(false); } catch (Exception) { /* logged by the loop */ }
        try { await _ticker.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        _stopping.Dispose();
    }

    /// <summary>A connected client or worker.</summary>
    internal sealed class Session(int id, Role role, IConnection connection)
    {
        public int Id { get; } = id;

        public Role Role { get; } = role;

        public IConnection Connection { get; } = connection;

        /// <summary>A worker's registration, once it sent it.</summary>
        public RegisterWorker? Registration { get; set; }

        public Heartbeat? LastHeartbeat { get; set; }

        /// <summary>When the last message arrived (scheduler clock, seconds): for worker-ttl.</summary>
        public double LastSeen
        {
            get => Volatile.Read(ref _lastSeen);
            set => Volatile.Write(ref _lastSeen, value);
        }

        private double _lastSeen;

        public bool Registered => Registration is not null;

        /// <summary>The code sets a client defined on this connection (read on the loop only).</summary>
        public Protocol.CodeSetTable CodeSetsDefined { get; } = new();

        /// <summary>The code sets the scheduler defined to this worker (used on the loop only).</summary>
        public Protocol.CodeSetNumbers<Google.Protobuf.ByteString[]> CodeSetsSent { get; } = new();
    }
}
