using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Shoal.Deploy;

namespace Shoal.Cloud.Gcp;

/// <summary>What Compute Engine says of one VM: PROVISIONING, STAGING, RUNNING, STOPPING, TERMINATED, ... (DELETED: gone from the list).</summary>
internal sealed record GcpInstanceState(string Name, string Status);

/// <summary>
/// Workers as Compute Engine VMs named after them (one insert each; the worker's pairs in the instance's
/// metadata beside the cloud-init user-data), watched until RUNNING by one list call per interval; a VM
/// that never runs is deleted after the start timeout.
/// </summary>
internal sealed class GcpWorkerLauncher : IWorkerLauncher
{
    private readonly ComputeApi _compute;
    private readonly GcpClusterOptions _options;
    private readonly string _id;
    private readonly string _advertisedHost;
    private readonly ILogger _logger;
    private readonly StateWatcher<GcpInstanceState> _watcher;
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _deletes = new(StringComparer.Ordinal);

    public GcpWorkerLauncher(ComputeApi compute, GcpClusterOptions options, string id, string advertisedHost, ILogger logger)
    {
        _compute = compute;
        _options = options;
        _id = id;
        _advertisedHost = advertisedHost;
        _logger = logger;
        _watcher = Watch(compute, options.Zone, GcpNames.ClusterFilter(id), options.PollInterval);
    }

    /// <summary>The cluster's VMs watched through a filtered list call: a name the list no longer holds is DELETED.</summary>
    public static StateWatcher<GcpInstanceState> Watch(ComputeApi compute, string zone, string filter, TimeSpan interval) => new(
        async (names, ct) =>
        {
            var listed = (await compute.ListAsync($"zones/{zone}/instances", filter, ct).ConfigureAwait(false))
                .ToDictionary(i => i["name"]!.GetValue<string>(), i => i["status"]!.GetValue<string>(), StringComparer.Ordinal);
            return [.. names.Select(n => (n, new GcpInstanceState(n, listed.GetValueOrDefault(n, "DELETED"))))];
        },
        s => s.Status == "RUNNING",
        s => s.Status == "DELETED",
        reason => new GcpInstanceState("", "DELETED"),
        interval);

    public bool InProcess => false;

    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
        try
        {
            var pairs = WorkerEnvironment.For(worker, CloudAddresses.WithHost(worker.SchedulerAddress, _advertisedHost), _options.DeathTimeout);
            await InsertAsync(worker.Name, pairs, cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.InstanceStartTimeout);
            GcpInstanceState state;
            try
            {
                state = await _watcher.UpOrGoneAsync(worker.Name, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                GcpLog.NeverStarted(_logger, worker.Name, _options.InstanceStartTimeout.TotalSeconds);
                await StopAsync(worker.Name, CancellationToken.None).ConfigureAwait(false);
                throw new TimeoutException($"VM {worker.Name} was not RUNNING within {_options.InstanceStartTimeout.TotalSeconds:0} s (last status {_watcher.LastKnown(worker.Name)?.Status ?? "unknown"}); it was deleted");
            }

            if (state.Status == "DELETED") throw new InvalidOperationException($"VM {worker.Name} was deleted before it ran");
            _status.TryUpdate(worker.Name, WorkerLaunchStatus.Running, WorkerLaunchStatus.Starting);
        }
        catch
        {
            _status[worker.Name] = WorkerLaunchStatus.Failed;
            throw;
        }
    }

    /// <summary>
    /// Inserts the VM and waits for the insert's operation. A 409 (the name exists) is this cluster's own VM
    /// when its labels say so, as when a retried insert finds the first one done; anyone else's is an error.
    /// </summary>
    private async Task InsertAsync(string name, IReadOnlyDictionary<string, string> pairs, CancellationToken ct)
    {
        try
        {
            await _compute.WriteAsync(HttpMethod.Post, $"zones/{_options.Zone}/instances", GcpInstances.Body(_options, _id, name, pairs), ct).ConfigureAwait(false);
        }
        catch (CloudApiException e) when (e.Code == "alreadyExists")
        {
            var existing = await _compute.GetAsync($"zones/{_options.Zone}/instances/{name}", ct).ConfigureAwait(false);
            if (existing["labels"]?[GcpNames.ClusterLabel]?.GetValue<string>() != _id)
                throw new InvalidOperationException($"a VM named {name} exists in {_options.Zone} and is not this cluster's", e);
        }
    }

    /// <summary>Deletes the VM; the deletion's operation is awaited by <see cref="DeleteAllAndWaitAsync"/>, not here (a retirement need not wait for it).</summary>
    public Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_status.ContainsKey(name)) return Task.CompletedTask;
        _status[name] = WorkerLaunchStatus.Stopped;
        _deletes.GetOrAdd(name, n => DeleteAsync(n));
        return Task.CompletedTask;
    }

    private async Task DeleteAsync(string name)
    {
        try
        {
            await _compute.WriteAsync(HttpMethod.Delete, $"zones/{_options.Zone}/instances/{name}", null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CloudApiException e) when (e.IsNotFound)
        {
            // gone already
        }
    }

    public WorkerLaunchStatus GetStatus(string name)
    {
        var status = _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);
        return status == WorkerLaunchStatus.Running && _watcher.LastKnown(name)?.Status is "TERMINATED" or "STOPPED" or "DELETED" ? WorkerLaunchStatus.Failed : status;
    }

    /// <summary>The VM's last serial-console lines (cloud-init's, Docker's and the worker's output).</summary>
    public async Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_status.ContainsKey(name)) return [];
        try
        {
            var output = await _compute.GetAsync($"zones/{_options.Zone}/instances/{name}/serialPort?port=1", cancellationToken).ConfigureAwait(false);
            return [.. (output["contents"]?.GetValue<string>() ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(100)];
        }
        catch (CloudApiException e) when (e.IsNotFound)
        {
            return [];
        }
    }

    /// <summary>Deletes every VM still there and waits until each deletion is DONE.</summary>
    public async Task DeleteAllAndWaitAsync()
    {
        foreach (var name in _status.Keys) await StopAsync(name).ConfigureAwait(false);
        var failures = new List<Exception>();
        foreach (var delete in _deletes.Values)
        {
            try
            {
                await delete.ConfigureAwait(false);
            }
            catch (CloudApiException e)
            {
                failures.Add(e);
            }
        }
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} VMs could not be deleted (run GcpCluster.CleanupAsync later)", failures);
    }

    public ValueTask DisposeAsync() => _watcher.DisposeAsync();
}

/// <summary>The labels, tags and names by which Shoal finds what it made on Compute Engine.</summary>
internal static class GcpNames
{
    public const string ClusterLabel = "shoal-cluster";
    public const string ManagedByLabel = "shoal-managed-by";
    public const string Prefix = "shoal-";

    /// <summary>The network tag of the cluster's VMs, which its firewall rule is scoped to; also the rule's name.</summary>
    public static string Tag(string id) => Prefix + id;

    public static string ClusterFilter(string id) => $"labels.{ClusterLabel}={id}";

    public const string ManagedFilter = $"labels.{ManagedByLabel}=shoal";
}

/// <summary>The instance resource of a worker VM.</summary>
internal static class GcpInstances
{
    public static JsonObject Body(GcpClusterOptions options, string id, string name, IReadOnlyDictionary<string, string> pairs)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in options.Labels) labels[key] = value;
        labels[GcpNames.ClusterLabel] = id;
        labels[GcpNames.ManagedByLabel] = "shoal";
        var metadata = new JsonArray(
            new JsonObject { ["key"] = "user-data", ["value"] = GcpCloudInit.UserData(options.Image) },
            new JsonObject { ["key"] = "google-logging-enabled", ["value"] = "true" });
        foreach (var (key, value) in pairs) metadata.Add(new JsonObject { ["key"] = key, ["value"] = value });
        var network = new JsonObject { ["network"] = options.Network };
        if (options.Subnetwork is { } subnetwork) network["subnetwork"] = subnetwork;
        // Private by default: an external address only when public ingress is asked for.
        network["accessConfigs"] = options.PublicIngress ? new JsonArray(new JsonObject { ["type"] = "ONE_TO_ONE_NAT", ["name"] = "External NAT" }) : new JsonArray();
        var body = new JsonObject
        {
            ["name"] = name,
            ["machineType"] = $"zones/{options.Zone}/machineTypes/{options.MachineType}",
            ["labels"] = labels,
            ["tags"] = new JsonObject { ["items"] = new JsonArray(GcpNames.Tag(id)) },
            ["disks"] = new JsonArray(new JsonObject
            {
                ["boot"] = true, ["autoDelete"] = true,
                ["initializeParams"] = new JsonObject { ["sourceImage"] = options.SourceImage, ["diskSizeGb"] = options.DiskSizeGb.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }),
            ["networkInterfaces"] = new JsonArray(network),
            ["metadata"] = new JsonObject { ["items"] = metadata },
            ["serviceAccounts"] = new JsonArray(new JsonObject
            {
                ["email"] = options.ServiceAccount ?? "default",
                ["scopes"] = new JsonArray("https://www.googleapis.com/auth/devstorage.read_only", "https://www.googleapis.com/auth/logging.write"),
            }),
        };
        if (options.Spot) body["scheduling"] = new JsonObject { ["provisioningModel"] = "SPOT", ["instanceTerminationAction"] = "DELETE" };
        return body;
    }
}

internal static partial class GcpLog
{
    [LoggerMessage(EventId = 1420, Level = LogLevel.Warning, Message = "VM {Name} never started within {Seconds} s: deleted")]
    public static partial void NeverStarted(ILogger logger, string name, double seconds);

    [LoggerMessage(EventId = 1421, Level = LogLevel.Warning, Message = "Could not remove {What}: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, string what, string reason);
}
