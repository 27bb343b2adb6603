using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Shoal.Deploy;

/// <summary>
/// A cluster on hosts reached over SSH, as Dask's <c>SSHCluster</c>: <c>shoal scheduler</c> on the
/// first host, <c>shoal worker</c>s on the others (through an <see cref="SshWorkerLauncher"/> of a
/// <see cref="SpecCluster"/>, so it scales and adapts as any SpecCluster, retiring before it stops).
/// Every remote process ends at <see cref="DisposeAsync"/>, and also when this process dies or its
/// SSH connection drops.
/// </summary>
public sealed class SshCluster : IAdaptiveCluster
{
    private readonly SpecCluster _cluster;
    private readonly SshWorkerLauncher _launcher;

    private SshCluster(SpecCluster cluster, SshWorkerLauncher launcher, SecurityOptions security)
    {
        _cluster = cluster;
        _launcher = launcher;
        Security = security;
    }

    /// <summary>The cluster's credentials: clients of this process find them by address; hand the client's share to others.</summary>
    public SecurityOptions Security { get; }

    /// <inheritdoc />
    public string SchedulerAddress => _cluster.SchedulerAddress;

    /// <inheritdoc />
    public string? DashboardLink => _cluster.DashboardLink;

    /// <summary>Names of the workers launched and not stopped, oldest first.</summary>
    public IReadOnlyList<string> WorkerNames => _cluster.WorkerNames;

    /// <summary>The host each running worker is on, by worker name.</summary>
    public IReadOnlyDictionary<string, string> WorkerHosts => _launcher.HostOf;

    /// <summary>The cluster underneath (scale events, adaptive scaling).</summary>
    public SpecCluster Spec => _cluster;

    /// <summary>
    /// Starts the scheduler on the first host, then the workers, and waits until all registered.
    /// Fails with an <see cref="SshException"/> that says why when a host cannot be reached, its
    /// key is unknown, the login is refused, or its shoal is missing or another version.
    /// </summary>
    /// <param name="options">The hosts, how to reach them, and the workers' size.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task<SshCluster> StartAsync(SshClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Hosts is not { Count: > 0 } hosts) throw new ArgumentException("at least one host is needed", nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.WorkersPerHost);
        var names = hosts.Select(SshCommandLine.HostName).Append(options.SchedulerHost).OfType<string>().Distinct().ToArray();
        var security = options.Security ?? SecurityOptions.Temporary(hosts: [.. Shoal.Security.CertificateAuthority.DefaultHosts(), .. names]);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SshCluster>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        var scheduler = await StartSchedulerAsync(options, security, logger, timeout.Token).ConfigureAwait(false);
        var workerHosts = hosts.Count == 1 ? hosts : hosts.Skip(1).ToArray();
        var launcher = new SshWorkerLauncher(workerHosts, options.Ssh, options.WorkerArguments, options.LoggerFactory);
        try
        {
            var cluster = await SpecCluster.StartAsync(new SpecClusterOptions
            {
                Launcher = launcher,
                Workers = options.WorkersPerHost * workerHosts.Count,
                ThreadsPerWorker = options.ThreadsPerWorker,
                MemoryLimitPerWorker = options.MemoryLimitPerWorker,
                Security = security,
                NamePrefix = $"ssh-{Guid.NewGuid().ToString("N")[..6]}-",
                StartTimeout = options.StartTimeout,
                LoggerFactory = options.LoggerFactory,
            }, scheduler, security, cancellationToken).ConfigureAwait(false);
            return new SshCluster(cluster, launcher, security);
        }
        catch
        {
            await launcher.DisposeAsync().ConfigureAwait(false); // SpecCluster disposed the scheduler
            throw;
        }
    }

    private static async Task<IClusterScheduler> StartSchedulerAsync(SshClusterOptions options, SecurityOptions security, ILogger logger, CancellationToken cancellationToken)
    {
        var host = options.Hosts[0];
        List<string> args = ["scheduler", "--host", options.SchedulerHost ?? SshCommandLine.HostName(host),
            "--port", options.SchedulerPort.ToString(CultureInfo.InvariantCulture)];
        if (options.DashboardPort is { } dashboard) args.AddRange(["--dashboard-port", dashboard.ToString(CultureInfo.InvariantCulture)]);
        else args.Add("--no-dashboard");
        var bundle = Shoal.Security.CredentialBundle.Write(security, Protocol.Messages.Role.Scheduler);
        var process = SshProcess.Start(options.Ssh, host, "scheduler", args, bundle.Length > 0 ? bundle : null, logger);
        try
        {
            const string schedulerPrefix = "Scheduler at: ";
            const string dashboardPrefix = "Dashboard at: ";
            var address = (await process.WaitForLineAsync(l => l.StartsWith(schedulerPrefix, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false))[schedulerPrefix.Length..].Trim();
            string? link = null;
            if (options.DashboardPort is not null)
                link = DashboardLinkOf((await process.WaitForLineAsync(l => l.StartsWith(dashboardPrefix, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false))[dashboardPrefix.Length..]);
            var client = await Client.ConnectAsync(address, new ClientOptions { Security = security, LoggerFactory = options.LoggerFactory }, cancellationToken).ConfigureAwait(false);
            return new RemoteClusterScheduler(client, link, process);
        }
        catch (OperationCanceledException) when (!process.Exited.IsCompleted)
        {
            var said = string.Join(" | ", process.LastLines.TakeLast(4));
            await process.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new SshException($"the scheduler on {host} did not start in time: {said}");
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The dashboard's link from its start line: the sign-in link when it has one.</summary>
    private static string DashboardLinkOf(string line)
    {
        const string signIn = "sign in once, within 10 minutes: ";
        var at = line.IndexOf(signIn, StringComparison.Ordinal);
        return at >= 0 ? line[(at + signIn.Length)..].TrimEnd(')') : line.Split(' ', 2)[0];
    }

    /// <inheritdoc cref="SpecCluster.ScaleAsync"/>
    public Task ScaleAsync(int workers, CancellationToken cancellationToken = default) => _cluster.ScaleAsync(workers, cancellationToken);

    /// <inheritdoc cref="SpecCluster.AdaptAsync(int, int, CancellationToken)"/>
    public Task AdaptAsync(int minimum, int maximum, CancellationToken cancellationToken = default) => _cluster.AdaptAsync(minimum, maximum, cancellationToken);

    /// <inheritdoc cref="SpecCluster.AdaptAsync(AdaptOptions, CancellationToken)"/>
    public Task AdaptAsync(AdaptOptions options, CancellationToken cancellationToken = default) => _cluster.AdaptAsync(options, cancellationToken);

    /// <inheritdoc cref="SpecCluster.GetLogsAsync"/>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetLogsAsync(CancellationToken cancellationToken = default) => _cluster.GetLogsAsync(cancellationToken);

    /// <summary>Stops every worker, then the scheduler, each over its SSH channel.</summary>
    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync().ConfigureAwait(false);
        await _launcher.DisposeAsync().ConfigureAwait(false);
    }
}
