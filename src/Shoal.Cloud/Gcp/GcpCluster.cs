using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Shoal.Deploy;

namespace Shoal.Cloud.Gcp;

/// <summary>
/// A Shoal cluster whose workers are Compute Engine VMs on Container-Optimized OS running the generic Shoal
/// image (no image per cluster: user code travels at run time), with the scheduler in this process:
/// private addresses unless <see cref="GcpClusterOptions.PublicIngress"/>, TLS between everyone (the
/// worker's certificate in its instance metadata), a firewall rule scoped to the cluster's network tag,
/// VMs that power off when their scheduler is gone, and everything labelled and removed at
/// <see cref="DisposeAsync"/> (or by <see cref="CleanupAsync"/> when a client died before).
/// </summary>
public sealed partial class GcpCluster : ICluster
{
    private readonly HttpClient _http;
    private readonly ComputeApi _compute;
    private readonly GcpWorkerLauncher _launcher;
    private readonly SpecCluster _spec;
    private readonly string _firewall;
    private readonly ILogger _logger;
    private int _disposed;

    private GcpCluster(HttpClient http, ComputeApi compute, GcpWorkerLauncher launcher, SpecCluster spec, string id, ILogger logger)
    {
        _http = http;
        _compute = compute;
        _launcher = launcher;
        _spec = spec;
        Id = id;
        _firewall = GcpNames.Tag(id);
        _logger = logger;
    }

    /// <summary>The id in the labels (<c>shoal-cluster</c>), the network tag and the firewall rule of this cluster.</summary>
    public string Id { get; }

    /// <inheritdoc />
    public string SchedulerAddress => _spec.SchedulerAddress;

    /// <inheritdoc />
    public string? DashboardLink => _spec.DashboardLink;

    /// <summary>Names of the workers (and of their VMs) launched and not stopped, oldest first.</summary>
    public IReadOnlyList<string> WorkerNames => _spec.WorkerNames;

    /// <summary>Each worker's time from the VM's insertion to its registration with the scheduler.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StartupTimes => _spec.StartupTimes;

    /// <summary>Makes the firewall rule, starts the scheduler here and the first VMs there, and waits until their workers registered.</summary>
    /// <param name="options">Project, zone, image, sizes, network.</param>
    /// <param name="cancellationToken">Stops waiting (what was made is removed).</param>
    public static async Task<GcpCluster> StartAsync(GcpClusterOptions options, CancellationToken cancellationToken = default)
    {
        Validate(options);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GcpCluster>();
        var id = Guid.NewGuid().ToString("N")[..12];
        var http = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
        GcpWorkerLauncher? launcher = null;
        var firewallMade = false;
        ComputeApi? compute = null;
        try
        {
            compute = new ComputeApi(http, await ComputeApi.CredentialAsync(options, cancellationToken).ConfigureAwait(false), options.ComputeUrl, options.Project, options.PollInterval, options.Retry);
            await compute.WriteAsync(HttpMethod.Post, "global/firewalls", FirewallRule(options, id), cancellationToken).ConfigureAwait(false);
            firewallMade = true;
            var host = options.AdvertisedSchedulerHost ?? CloudAddresses.DefaultHost();
            launcher = new GcpWorkerLauncher(compute, options, id, host, logger);
            var spec = await new CloudSpec(id, options.SchedulerHost, options.SchedulerPort, host, options.Security, options.StartTimeout, options.LoggerFactory)
                .StartAsync(launcher, options.Workers, options.ThreadsPerWorker, options.MemoryLimitPerWorker, cancellationToken)
                .ConfigureAwait(false);
            return new GcpCluster(http, compute, launcher, spec, id, logger);
        }
        catch
        {
            if (launcher is not null)
            {
                await launcher.DeleteAllAndWaitAsync().ConfigureAwait(false);
                await launcher.DisposeAsync().ConfigureAwait(false);
            }
            if (firewallMade) await compute!.WriteAsync(HttpMethod.Delete, $"global/firewalls/{GcpNames.Tag(id)}", null, CancellationToken.None).ConfigureAwait(false);
            http.Dispose();
            throw;
        }
    }

    private static void Validate(GcpClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Project)) throw new ArgumentException("Project is required", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Zone)) throw new ArgumentException("Zone is required, e.g. us-central1-a", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Image)) throw new ArgumentException("Image is required: the Shoal container image the workers run", nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Workers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ThreadsPerWorker);
        if (options.Security is { UsesTls: false })
            throw new ArgumentException("cloud workers need TLS credentials (SecurityOptions.Temporary() or `shoal certs create`)", nameof(options));
        foreach (var (key, value) in options.Labels)
        {
            if (!LabelPattern().IsMatch(key) || (value.Length > 0 && !LabelValuePattern().IsMatch(value)))
                throw new ArgumentException($"the label {key}={value} is not a Compute Engine label (lowercase letters, digits, - and _; keys start with a letter)", nameof(options));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex LabelPattern();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9_-]{0,63}$")]
    private static partial System.Text.RegularExpressions.Regex LabelValuePattern();

    /// <summary>The rule admitting TCP between the cluster's own VMs (by network tag), and from the ranges asked for.</summary>
    private static JsonObject FirewallRule(GcpClusterOptions options, string id)
    {
        var rule = new JsonObject
        {
            ["name"] = GcpNames.Tag(id),
            ["network"] = options.Network,
            ["direction"] = "INGRESS",
            ["description"] = $"Shoal cluster {id}: its workers reach each other ({GcpNames.ClusterLabel}={id})",
            ["allowed"] = new JsonArray(new JsonObject { ["IPProtocol"] = "tcp" }),
            ["sourceTags"] = new JsonArray(GcpNames.Tag(id)),
            ["targetTags"] = new JsonArray(GcpNames.Tag(id)),
        };
        if (options.IngressRanges.Count > 0) rule["sourceRanges"] = new JsonArray([.. options.IngressRanges.Select(r => (JsonNode)r)]);
        return rule;
    }

    /// <summary>Starts or retires workers until there are <paramref name="workers"/>, and waits until they registered.</summary>
    /// <param name="workers">The number wanted.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task ScaleAsync(int workers, CancellationToken cancellationToken = default) => _spec.ScaleAsync(workers, cancellationToken);

    /// <summary>Sizes the cluster from the scheduler's adaptive target between <paramref name="minimum"/> and <paramref name="maximum"/> workers.</summary>
    /// <param name="minimum">Never fewer.</param>
    /// <param name="maximum">Never more.</param>
    /// <param name="cancellationToken">Stops waiting for the first reading.</param>
    public Task AdaptAsync(int minimum, int maximum, CancellationToken cancellationToken = default) => _spec.AdaptAsync(minimum, maximum, cancellationToken);

    /// <summary>Each worker's last serial-console lines.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetLogsAsync(CancellationToken cancellationToken = default) => _spec.GetLogsAsync(cancellationToken);

    /// <summary>Stops the workers and the scheduler, deletes the VMs (waiting for each deletion), then the firewall rule.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _spec.DisposeAsync().ConfigureAwait(false);
            await _launcher.DeleteAllAndWaitAsync().ConfigureAwait(false);
            await _launcher.DisposeAsync().ConfigureAwait(false);
            try
            {
                await _compute.WriteAsync(HttpMethod.Delete, $"global/firewalls/{_firewall}", null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (CloudApiException e) when (e.IsNotFound)
            {
                GcpLog.DeleteFailed(_logger, _firewall, "already gone");
            }
        }
        finally
        {
            _http.Dispose();
        }
    }

    /// <summary>
    /// Removes what Shoal clusters left on Compute Engine when their client died before disposing them: the
    /// VMs labelled <c>shoal-managed-by=shoal</c> in the zone and the firewall rules named after their
    /// clusters; only those of cluster <paramref name="clusterId"/> when given. Without an id, run it when no
    /// Shoal cluster of the project is in use.
    /// </summary>
    /// <param name="options">Project, zone, credentials and endpoint (the rest is not used).</param>
    /// <param name="clusterId">One cluster's <see cref="Id"/>; null: all of them.</param>
    /// <param name="cancellationToken">Stops the cleanup.</param>
    /// <returns>The ids of the clusters whose objects were found.</returns>
    public static async Task<IReadOnlyList<string>> CleanupAsync(GcpClusterOptions options, string? clusterId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var http = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
        var compute = new ComputeApi(http, await ComputeApi.CredentialAsync(options, cancellationToken).ConfigureAwait(false), options.ComputeUrl, options.Project, options.PollInterval, options.Retry);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var filter = clusterId is null ? GcpNames.ManagedFilter : GcpNames.ClusterFilter(clusterId);
        var deletes = new List<Task>();
        foreach (var vm in await compute.ListAsync($"zones/{options.Zone}/instances", filter, cancellationToken).ConfigureAwait(false))
        {
            found.Add(vm["labels"]![GcpNames.ClusterLabel]!.GetValue<string>());
            deletes.Add(compute.WriteAsync(HttpMethod.Delete, $"zones/{options.Zone}/instances/{vm["name"]!.GetValue<string>()}", null, cancellationToken));
        }
        await Task.WhenAll(deletes).ConfigureAwait(false);
        var rules = await compute.ListAsync("global/firewalls", $"name eq \"{GcpNames.Prefix}{clusterId ?? "[0-9a-f]{12}"}\"", cancellationToken).ConfigureAwait(false);
        foreach (var rule in rules)
        {
            var name = rule["name"]!.GetValue<string>();
            found.Add(name[GcpNames.Prefix.Length..]);
            await compute.WriteAsync(HttpMethod.Delete, $"global/firewalls/{name}", null, cancellationToken).ConfigureAwait(false);
        }
        return [.. found];
    }
}
