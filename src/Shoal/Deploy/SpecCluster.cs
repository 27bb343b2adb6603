using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Scheduling;

namespace Shoal.Deploy;

/// <summary>
/// A scheduler and workers that an <see cref="IWorkerLauncher"/> starts wherever it starts them:
/// the cluster keeps the desired number of workers and reconciles the launched ones against it.
/// <see cref="ScaleAsync"/> sets the number; <see cref="AdaptAsync(AdaptOptions, CancellationToken)"/>
/// lets the scheduler's adaptive target set it between bounds. Workers go only by retirement: the
/// scheduler chooses them (idle, fewest bytes), moves the results only they hold, then the launcher
/// stops exactly those, so a scale-down recomputes nothing.
/// </summary>
public sealed partial class SpecCluster : IAdaptiveCluster
{
    private readonly SpecClusterOptions _options;
    private readonly IClusterScheduler _scheduler;
    private readonly SecurityOptions _security;
    private readonly IDisposable _registration;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly SemaphoreSlim _scaling = new(1, 1);
    // Launched and not stopped, oldest first; a name is here from the moment its start begins.
    private readonly List<string> _launched = [];
    private readonly Dictionary<string, Task> _starting = [];
    private readonly List<ScaleEvent> _events = [];
    private readonly AdaptiveLoop _adaptive;
    private int _next;
    private Exception? _startFailure; // the last launch that failed since the last ScaleAsync began
    private int _disposed;

    private SpecCluster(SpecClusterOptions options, IClusterScheduler scheduler, SecurityOptions security)
    {
        _options = options;
        _scheduler = scheduler;
        _security = security;
        _registration = options.Credentials.Register(scheduler.Address, security);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SpecCluster>();
        _prefix = options.NamePrefix ?? $"spec-{Guid.NewGuid().ToString("N")[..6]}-";
        _startups = new StartupClock((scheduler as InProcessClusterScheduler)?.Server);
        _adaptive = new AdaptiveLoop(scheduler.GetAdaptiveTargetAsync, () => LiveNames().Length, (wanted, ct) => ReconcileAsync(wanted, adaptive: true, ct), _logger);
    }

    /// <inheritdoc />
    public string SchedulerAddress => _scheduler.Address;

    /// <inheritdoc />
    public string? DashboardLink => _scheduler.DashboardLink;

    /// <summary>Names of the workers launched and not stopped (starting ones included), oldest first.</summary>
    public IReadOnlyList<string> WorkerNames
    {
        get { lock (_launched) return [.. _launched]; }
    }

    /// <summary>Every change of size so far, in order.</summary>
    public IReadOnlyList<ScaleEvent> ScaleEvents
    {
        get { lock (_events) return [.. _events]; }
    }

    /// <summary>The scheduler, when it runs in this process (tests and diagnostics).</summary>
    internal SchedulerServer Scheduler => (_scheduler as InProcessClusterScheduler)?.Server
        ?? throw new InvalidOperationException("the scheduler of this cluster runs in another process");

    /// <summary>Starts the scheduler and the first workers, and waits until they registered.</summary>
    /// <param name="options">The launcher and the workers' size.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task<SpecCluster> StartAsync(SpecClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Launcher);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Workers);
        var security = options.Security ?? SecurityOptions.TemporaryToken();
        var listen = options.Launcher.InProcess ? $"inproc://spec-{Guid.NewGuid():N}" : $"tcp://{options.Host}:{options.SchedulerPort}";
        var scheduler = new InProcessClusterScheduler(await SchedulerServer.StartAsync(new SchedulerServerOptions
        {
            ListenAddress = listen, LoggerFactory = options.LoggerFactory, Security = security,
        }, cancellationToken).ConfigureAwait(false));
        return await StartAsync(options, scheduler, security, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the first workers of a cluster whose scheduler already runs (elsewhere, say), and waits until they registered.</summary>
    /// <param name="options">The launcher and the workers' size.</param>
    /// <param name="scheduler">The running scheduler: the cluster owns it from here on (it is disposed with the cluster, or here on failure).</param>
    /// <param name="security">The cluster's credentials, from which each worker gets its share.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    internal static async Task<SpecCluster> StartAsync(SpecClusterOptions options, IClusterScheduler scheduler, SecurityOptions security, CancellationToken cancellationToken)
    {
        var cluster = new SpecCluster(options, scheduler, security);
        try
        {
            if (options.Workers > 0) await cluster.ScaleAsync(options.Workers, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// Starts or retires workers until there are <paramref name="workers"/>, and waits until the
    /// scheduler has exactly that many. Ends adaptive scaling (as Dask's <c>scale</c> does).
    /// </summary>
    /// <param name="workers">The number of workers wanted.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task ScaleAsync(int workers, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        await _adaptive.StopAsync().ConfigureAwait(false);
        lock (_launched) _startFailure = null;
        await ReconcileAsync(workers, adaptive: false, cancellationToken).ConfigureAwait(false);
        await _scheduler.WaitForWorkerCountAsync(workers, _options.StartTimeout, ThrowIfStartFailed, cancellationToken).ConfigureAwait(false);
        // A remote scheduler raises no registration event here: its workers count as registered when the wait sees them.
        if (_scheduler is not InProcessClusterScheduler) _startups.RegisteredByNow(LiveNames());
    }

    /// <summary>Sizes the cluster from the scheduler's adaptive target, between <paramref name="minimum"/> and <paramref name="maximum"/> workers.</summary>
    /// <param name="minimum">Never fewer workers.</param>
    /// <param name="maximum">Never more workers.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(int minimum, int maximum, CancellationToken cancellationToken = default) =>
        AdaptAsync(new AdaptOptions { Minimum = minimum, Maximum = maximum }, cancellationToken);

    /// <summary>
    /// Sizes the cluster from the scheduler's adaptive target (queued and processing work by
    /// measured durations per task group, plus the memory the results need) until
    /// <see cref="ScaleAsync"/> or disposal: up at once, counting workers still starting; down
    /// only after the target stayed lower for <see cref="AdaptOptions.WaitCount"/> readings, by retirement.
    /// </summary>
    /// <param name="options">Bounds and pace.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    /// <returns>Completes once the first reading was acted on.</returns>
    public Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default) => _adaptive.StartAsync(options, cancellationToken);

    /// <summary>Launches or retires workers until <paramref name="wanted"/> are launched. Starts are not awaited: they may take long.</summary>
    private async Task ReconcileAsync(int wanted, bool adaptive, CancellationToken cancellationToken)
    {
        await _scaling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ForgetEndedAsync().ConfigureAwait(false);
            int current;
            lock (_launched) current = _launched.Count;
            if (current == wanted) return;
            lock (_events) _events.Add(new ScaleEvent(current, wanted, adaptive));
            SpecClusterLog.Scaling(_logger, current, wanted, adaptive ? "adaptive" : "asked");
            if (current < wanted)
            {
                for (var i = current; i < wanted; i++) Launch();
                return;
            }

            await RetireAsync(current - wanted, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _scaling.Release();
        }
    }

    /// <summary>Launched workers not known to have ended (a crashed process, a host gone): what the cluster really has.</summary>
    private string[] LiveNames()
    {
        lock (_launched) return [.. _launched.Where(n => _starting.ContainsKey(n) || _options.Launcher.GetStatus(n) != WorkerLaunchStatus.Failed)];
    }

    /// <summary>
    /// Forgets the workers that ended without being asked (their launcher says Failed), so that the
    /// reconciliation starts others in their place; the launcher is told to stop them (freeing what it holds).
    /// </summary>
    private async Task ForgetEndedAsync()
    {
        string[] ended;
        lock (_launched) ended = [.. _launched.Except(LiveNames())];
        foreach (var name in ended)
        {
            SpecClusterLog.Ended(_logger, name);
            await StopAsync(name).ConfigureAwait(false);
        }
    }

    /// <summary>Fails a wait for workers at once when a launch failed or a launched worker ended, with the reason (a timeout would hide it).</summary>
    private void ThrowIfStartFailed()
    {
        lock (_launched)
        {
            if (_startFailure is { } failure) throw failure;
            if (_launched.Except(LiveNames()).FirstOrDefault() is { } ended)
                throw new InvalidOperationException($"worker {ended} ended before the cluster reached its size (its launcher's logs: SpecCluster.GetLogsAsync)");
        }
    }

    private void Launch()
    {
        var name = _prefix + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var launch = new WorkerLaunch(name, _scheduler.Address, _options.ThreadsPerWorker, _options.MemoryLimitPerWorker,
            _security.ForRole(Protocol.Messages.Role.Worker));
        _startups.Requested(name);
        lock (_launched)
        {
            _launched.Add(name);
            // On the pool, so that its end (which takes this lock) comes after this entry is made.
            _starting[name] = Task.Run(() => StartAsync(launch));
        }
    }

    private async Task StartAsync(WorkerLaunch launch)
    {
        try
        {
            await _options.Launcher.StartAsync(launch).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SpecClusterLog.StartFailed(_logger, launch.Name, e.Message);
            lock (_launched)
            {
                _launched.Remove(launch.Name);
                _startFailure = new InvalidOperationException($"worker {launch.Name} could not start: {e.Message}", e);
            }
        }
        finally
        {
            lock (_launched) _starting.Remove(launch.Name);
        }
    }

    /// <summary>
    /// Lets <paramref name="count"/> workers go: first those not registered yet (they hold
    /// nothing), newest first; then those the scheduler chooses and retires (their unique results
    /// moved to the others), which the launcher then stops: exactly those.
    /// </summary>
    private async Task RetireAsync(int count, CancellationToken cancellationToken)
    {
        var reading = await _scheduler.GetAdaptiveTargetAsync(5, cancellationToken).ConfigureAwait(false);
        var registered = new HashSet<string>(reading.Workers, StringComparer.Ordinal);
        string[] unregistered;
        lock (_launched) unregistered = _launched.Where(n => !registered.Contains(n)).Reverse().Take(count).ToArray();
        foreach (var name in unregistered) await StopAsync(name).ConfigureAwait(false);
        var left = count - unregistered.Length;
        if (left <= 0) return;
        var retired = await _scheduler.RetireWorkersAsync(left, cancellationToken).ConfigureAwait(false);
        foreach (var name in retired) await StopAsync(name).ConfigureAwait(false);
    }

    private async Task StopAsync(string name)
    {
        Task? starting;
        lock (_launched)
        {
            _launched.Remove(name);
            starting = _starting.GetValueOrDefault(name);
        }

        if (starting is not null) await starting.ConfigureAwait(false); // then stop what it started
        await _options.Launcher.StopAsync(name).ConfigureAwait(false);
    }

    /// <summary>Each launched worker's recent log lines, as its launcher keeps them.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetLogsAsync(CancellationToken cancellationToken = default)
    {
        var logs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var name in WorkerNames) logs[name] = await _options.Launcher.GetLogsAsync(name, cancellationToken).ConfigureAwait(false);
        return logs;
    }

    /// <summary>Ends adaptive scaling, stops every worker, then the scheduler.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _adaptive.StopAsync().ConfigureAwait(false);
        await _scaling.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(WorkerNames.Select(StopAsync)).ConfigureAwait(false);
        }
        finally
        {
            _scaling.Release();
        }

        await _scheduler.DisposeAsync().ConfigureAwait(false);
        _startups.Dispose();
        _registration.Dispose();
        _scaling.Dispose();
    }
}

internal static partial class SpecClusterLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Scaling from {From} to {To} workers ({Why})")]
    public static partial void Scaling(ILogger logger, int from, int to, string why);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Worker {Name} could not start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Worker {Name} ended without being asked: another takes its place at the next scale")]
    public static partial void Ended(ILogger logger, string name);

}
