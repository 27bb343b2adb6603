using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Comm;
using Shoal.Comm.Rpc;
using Shoal.Platform;
using Shoal.Protocol.Messages;

namespace Shoal.Execution;

/// <summary>
/// The I/O shell around <see cref="WorkerState"/>: registers with the scheduler, feeds the state
/// its messages, task completions and transfer results on ONE loop, and carries out the
/// instructions it returns (run a task, fetch data from a peer, tell the scheduler). It also
/// serves the data plane: peers and clients fetch results from it directly.
/// </summary>
internal sealed partial class WorkerServer : IAsyncDisposable
{
    private readonly WorkerServerOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<WorkerEvent> _events = Channel.CreateUnbounded<WorkerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DataStore _store;
    private readonly ReleasedMemory _released = new(ReleasedMemory.DefaultThreshold);
    private ConnectionPool _peers = null!;
    private WorkerState _state = null!;
    private volatile RpcConnection _scheduler = null!;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(1);
    private IListenerHandle _listener = null!;
    private WorkerCode _code = null!;
    private Task _loop = Task.CompletedTask;
    private Task _heartbeats = Task.CompletedTask;
    private Task _memoryMonitor = Task.CompletedTask;
    private int _disposed;
    private SecurityOptions? _security;
    private readonly ProcessMemoryAccount _memory;
    private readonly WorkerInstruments _instruments;
    private readonly TaskLogSink _taskLog;

    /// <summary>When the heartbeat timer last queued a tick (worker clock, seconds): the loop's lag is measured from it.</summary>
    private double _tickWritten;

    private WorkerServer(WorkerServerOptions options)
    {
        _options = options;
        var log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<WorkerServer>();
        _logger = new ForwardingLogger(log, _logs, options.LogForwardLevel, typeof(WorkerServer).FullName!);
        _taskLog = new TaskLogSink((options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(TaskLogSink.Category), _logs, options.LogForwardLevel);
        _security = options.Security ?? options.Credentials.Find(options.SchedulerAddress);
        var target = options.MemoryLimit > 0 && options.MemoryTargetFraction > 0 ? (long)(options.MemoryLimit * options.MemoryTargetFraction) : 0;
        _store = new DataStore(target, new SpillFiles(options.SpillDirectory, options.Name));
        _memory = options.ProcessMemory ?? new ProcessMemoryAccount(options.MemoryLimit);
        _instruments = options.Instruments ?? new WorkerInstruments(options.Name);
    }

    /// <summary>The worker's meter (<c>Shoal.Worker</c>): its host exports it.</summary>
    internal WorkerInstruments Instruments => _instruments;

    /// <summary>The worker's name.</summary>
    public string Name => _options.Name;

    /// <summary>Where peers and clients fetch this worker's data.</summary>
    public string Address => _listener.Address;

    /// <summary>
    /// Random per worker server (kept across reconnections, new for a restarted worker even on the
    /// same address): sent in RegisterWorker, and named by peers' MissingData reports about it.
    /// </summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Completes when the worker stopped (scheduler gone, told to close, or disposed); carries the reason.</summary>
    public Task<string> Stopped => _stopped.Task.ContinueWith(_ => _stopReason, TaskScheduler.Default);

    private string _stopReason = "";

    /// <summary>Whether the scheduler closed this worker for a restart asked by a client (its process should come back).</summary>
    public bool RestartRequested { get; private set; }

    private double Now => _clock.Elapsed.TotalSeconds;

    internal DataStore Store => _store;

    public static async Task<WorkerServer> StartAsync(WorkerServerOptions options, CancellationToken cancellationToken = default)
    {
        var server = new WorkerServer(options);
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        Platform.StartupTrace.Mark("worker-server");
        // Started before its scheduler is reachable (pods and containers start in any order): wait for it here.
        var firstContact = await WaitForSchedulerAsync(cancellationToken).ConfigureAwait(false);
        Platform.StartupTrace.Mark("first-contact");
        try
        {
            await StartServingAsync(firstContact, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await firstContact.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartServingAsync(IConnection firstContact, CancellationToken cancellationToken)
    {
        _peers = new ConnectionPool(Role.Peer, _options.Name, new DialOptions { LoggerFactory = _options.LoggerFactory, Security = _security, Credentials = _options.Credentials }, _instruments.Traffic.Track);
        _listener = await Dial.ListenAsync(_options.ListenAddress, Role.Worker, _options.Name,
            new ListenOptions
            {
                LoggerFactory = _options.LoggerFactory, AcceptedRoles = [Role.Peer], Security = _security,
                RequireTlsOffLoopback = true, Insecure = _options.Insecure,
            },
            ServePeerAsync, cancellationToken).ConfigureAwait(false);
        Platform.StartupTrace.Mark("listening");
        _state = NewState();
        _code = new WorkerCode(() => _scheduler, _options.CodeDirectory);
        var recovered = OpenJournal();
        var (scheduler, reply) = await ConnectAndRegisterAsync(recovered, cancellationToken, firstContact).ConfigureAwait(false);
        Platform.StartupTrace.Mark("registered");
        _scheduler = scheduler;
        _heartbeatInterval = TimeSpan.FromSeconds(Math.Max(0.05, reply.HeartbeatIntervalSeconds));
        Apply(_recoveredInstructions);
        _poolThreads = (_options.ThreadPool ?? new ThreadPoolReservation()).Reserve(Math.Max(1, _options.NThreads));
        _loop = Task.Run(RunLoopAsync);
        _heartbeats = Task.Run(() => HeartbeatLoopAsync(_heartbeatInterval));
        _memoryMonitor = Task.Run(MemoryMonitorLoopAsync);
        WatchScheduler(scheduler, _generation);
        WorkerLog.Registered(_logger, _options.Name, _listener.Address, _options.SchedulerAddress);
    }

    /// <summary>This worker's threads in the process's thread-pool reservation (<see cref="ThreadPoolReservation"/>).</summary>
    private IDisposable? _poolThreads;

    private WorkerState NewState() => new(new WorkerStateConfig
    {
        Address = _listener.Address,
        NThreads = Math.Max(1, _options.NThreads),
        Resources = _options.Resources,
    });

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref _tickWritten, Now);
                _events.Writer.TryWrite(WorkerEvent.HeartbeatTick);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>How long a stopping worker waits for its scheduler to close their connection too.</summary>
    private static readonly TimeSpan SchedulerGoodbye = TimeSpan.FromSeconds(1);

    /// <summary>How stopping ended the scheduler connection: "closed", or why its close was not waited for (tests read it; null before stopping).</summary>
    internal string? SchedulerGoodbyeOutcome { get; private set; }

    /// <summary>Stops the worker: no new work, connections closed, the loop ended.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Stop("worker closing");
        _stopping.Cancel();
        await StopRunsAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        try { await _loop.ConfigureAwait(false); } catch (Exception) { /* logged */ }
        try { await _heartbeats.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        try { await _memoryMonitor.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        if (_scheduler is not null)
        {
            // What is queued drains at once; the scheduler's own close may never come (a cut link, a frozen or busy
            // scheduler) and would hold the stop back by the connection's linger (5 s): it is waited for briefly, and
            // not at all on a connection already lost. The socket goes when the linger ends, or with the process.
            var closing = _scheduler.DisposeAsync().AsTask();
            try
            {
                await closing.WaitAsync(_connected ? SchedulerGoodbye : TimeSpan.Zero).ConfigureAwait(false);
                SchedulerGoodbyeOutcome = "closed";
            }
            catch (TimeoutException)
            {
                SchedulerGoodbyeOutcome = _connected ? "not waited for beyond the goodbye limit" : "not waited for: the connection was lost";
            }
        }

        if (_listener is not null) await _listener.DisposeAsync().ConfigureAwait(false);
        if (_peers is not null) await _peers.DisposeAsync().ConfigureAwait(false);
        _code?.Dispose();
        _store.Dispose();
        _poolThreads?.Dispose();
        if (_options.Instruments is null) _instruments.Dispose(); // its own; a host's outlives it
        _stopping.Dispose();
    }

    private void Stop(string reason)
    {
        if (_stopped.Task.IsCompleted) return;
        _stopReason = reason;
        _stopped.TrySetResult();
    }
}
