using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Shoal.Deploy;

namespace Shoal.Cloud.Aws;

/// <summary>
/// Workers as ECS tasks (one RunTask each, the worker's identity and credentials in its container's
/// environment), watched until RUNNING; a task that never starts is stopped after the start timeout.
/// </summary>
internal sealed class EcsWorkerLauncher : IWorkerLauncher
{
    private readonly AwsApis _apis;
    private readonly EcsResources _resources;
    private readonly EcsClusterOptions _options;
    private readonly string _advertisedHost;
    private readonly ILogger _logger;
    private readonly StateWatcher<EcsTaskState> _watcher;
    private readonly ConcurrentDictionary<string, string> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WorkerLaunchStatus> _status = new(StringComparer.Ordinal);

    public EcsWorkerLauncher(AwsApis apis, EcsResources resources, EcsClusterOptions options, string advertisedHost, ILogger logger)
    {
        _apis = apis;
        _resources = resources;
        _options = options;
        _advertisedHost = advertisedHost;
        _logger = logger;
        _watcher = EcsTaskWatcher.Create(apis.Ecs, resources.ClusterArn, options.PollInterval);
    }

    public bool InProcess => false;

    /// <summary>Every task this launcher ran, by worker name (stopped ones included).</summary>
    public IReadOnlyDictionary<string, string> Tasks => new Dictionary<string, string>(_tasks, StringComparer.Ordinal);

    public async Task StartAsync(WorkerLaunch worker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _status[worker.Name] = WorkerLaunchStatus.Starting;
        try
        {
            var environment = WorkerEnvironment.For(worker, CloudAddresses.WithHost(worker.SchedulerAddress, _advertisedHost), _options.DeathTimeout);
            var task = await _apis.Ecs.RunTaskAsync(RunTaskRequest(worker.Name, environment), cancellationToken).ConfigureAwait(false);
            _tasks[worker.Name] = task;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.TaskStartTimeout);
            EcsTaskState state;
            try
            {
                state = await _watcher.UpOrGoneAsync(task, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                EcsLog.NeverStarted(_logger, task, _options.TaskStartTimeout.TotalSeconds);
                await _apis.Ecs.StopTaskAsync(_resources.ClusterArn, task, "Shoal: never started", CancellationToken.None).ConfigureAwait(false);
                throw new TimeoutException($"worker task {task} was not RUNNING within {_options.TaskStartTimeout.TotalSeconds:0} s (last status {_watcher.LastKnown(task)?.LastStatus ?? "unknown"}); it was stopped");
            }

            if (state.LastStatus is "STOPPED" or "MISSING")
            {
                EcsLog.StoppedEarly(_logger, task, state.StoppedReason ?? state.LastStatus);
                throw new InvalidOperationException($"worker task {task} stopped before it ran: {state.StoppedReason ?? state.LastStatus}");
            }

            _status.TryUpdate(worker.Name, WorkerLaunchStatus.Running, WorkerLaunchStatus.Starting);
        }
        catch
        {
            _status[worker.Name] = WorkerLaunchStatus.Failed;
            throw;
        }
    }

    private JsonObject RunTaskRequest(string name, IReadOnlyDictionary<string, string> environment)
    {
        var request = new JsonObject
        {
            ["cluster"] = _resources.ClusterArn,
            ["taskDefinition"] = _resources.TaskDefinitionArn,
            ["count"] = 1,
            ["startedBy"] = EcsNames.StartedBy(_resources.Id),
            ["networkConfiguration"] = new JsonObject
            {
                ["awsvpcConfiguration"] = new JsonObject
                {
                    ["subnets"] = new JsonArray([.. _resources.Subnets.Select(s => (JsonNode)s)]),
                    ["securityGroups"] = new JsonArray([.. _resources.SecurityGroups.Select(s => (JsonNode)s)]),
                    ["assignPublicIp"] = _options.PublicIp ? "ENABLED" : "DISABLED",
                },
            },
            ["overrides"] = new JsonObject
            {
                ["containerOverrides"] = new JsonArray(new JsonObject
                {
                    ["name"] = EcsNames.Container,
                    ["environment"] = new JsonArray([.. environment.Select(p => (JsonNode)new JsonObject { ["name"] = p.Key, ["value"] = p.Value })]),
                }),
            },
            ["propagateTags"] = "TASK_DEFINITION",
            ["tags"] = EcsApi.Tags(new Dictionary<string, string>(EcsNames.Tags(_resources.Id, _options.Tags)) { ["shoal:worker"] = name }),
        };
        // A capacity provider strategy and a launch type exclude each other (ECS refuses both).
        if (!_options.Fargate) request["launchType"] = "EC2";
        else request["capacityProviderStrategy"] = new JsonArray(new JsonObject { ["capacityProvider"] = _options.FargateSpot ? "FARGATE_SPOT" : "FARGATE", ["weight"] = 1 });
        return request;
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_tasks.TryGetValue(name, out var task) || _status.GetValueOrDefault(name) == WorkerLaunchStatus.Stopped) return;
        _status[name] = WorkerLaunchStatus.Stopped;
        try
        {
            await _apis.Ecs.StopTaskAsync(_resources.ClusterArn, task, "Shoal: worker retired", cancellationToken).ConfigureAwait(false);
        }
        catch (CloudApiException e) when (e.IsNotFound)
        {
            // the task or its cluster is gone already
        }
    }

    public WorkerLaunchStatus GetStatus(string name)
    {
        var status = _status.GetValueOrDefault(name, WorkerLaunchStatus.Unknown);
        return status == WorkerLaunchStatus.Running && _tasks.TryGetValue(name, out var task) && _watcher.LastKnown(task)?.LastStatus is "STOPPED" or "MISSING"
            ? WorkerLaunchStatus.Failed : status;
    }

    /// <summary>The task's last log lines from CloudWatch (stream <c>shoal/worker/TASK-ID</c>, as awslogs names it).</summary>
    public Task<IReadOnlyList<string>> GetLogsAsync(string name, CancellationToken cancellationToken = default) =>
        _tasks.TryGetValue(name, out var task) && _resources.LogGroup is { } group
            ? _apis.Logs.TailAsync(group, $"shoal/{EcsNames.Container}/{task[(task.LastIndexOf('/') + 1)..]}", 100, cancellationToken)
            : Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>Stops every task still running and waits until ECS reports each STOPPED (their network interfaces then go, and with them the security group's last user).</summary>
    public async Task StopAllAndWaitAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_tasks.Keys.Select(name => StopAsync(name, cancellationToken))).ConfigureAwait(false);
        await Task.WhenAll(_tasks.Values.Select(task => _watcher.GoneAsync(task, cancellationToken))).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _watcher.DisposeAsync();
}
