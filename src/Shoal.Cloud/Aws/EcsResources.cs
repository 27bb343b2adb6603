using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Shoal.Cloud.Aws;

/// <summary>
/// Everything an <see cref="EcsCluster"/> makes on AWS besides its tasks, in the order it makes them, so that
/// a failure half-way and the cluster's disposal remove exactly what exists (in the reverse order): the ECS
/// cluster, the log group, the execution role, the security group, the task definition. Each is tagged.
/// </summary>
internal sealed class EcsResources
{
    private readonly AwsApis _apis;
    private readonly ILogger _logger;

    private EcsResources(AwsApis apis, string id, ILogger logger)
    {
        _apis = apis;
        Id = id;
        _logger = logger;
    }

    public string Id { get; }

    public string ClusterArn { get; private set; } = "";

    public bool OwnsCluster { get; private set; }

    public string? LogGroup { get; private set; }

    public string? RoleName { get; private set; }

    public string? SecurityGroup { get; private set; }

    public IReadOnlyList<string> SecurityGroups { get; private set; } = [];

    public IReadOnlyList<string> Subnets { get; private set; } = [];

    public string? TaskDefinitionArn { get; private set; }

    public static async Task<EcsResources> CreateAsync(AwsApis apis, EcsClusterOptions options, string id, ILogger logger, CancellationToken ct)
    {
        var made = new EcsResources(apis, id, logger);
        var tags = EcsNames.Tags(id, options.Tags);
        try
        {
            if (options.ClusterArn is { } existing) made.ClusterArn = existing;
            else
            {
                made.ClusterArn = await apis.Ecs.CreateClusterAsync(EcsNames.ClusterName(id), tags, ct).ConfigureAwait(false);
                made.OwnsCluster = true;
            }

            await apis.Logs.CreateGroupAsync(EcsNames.LogGroup(id), options.LogRetentionDays, tags, ct).ConfigureAwait(false);
            made.LogGroup = EcsNames.LogGroup(id);
            var executionRole = options.ExecutionRoleArn;
            if (executionRole is null)
            {
                executionRole = await apis.Iam.CreateTaskRoleAsync(EcsNames.Role(id), EcsNames.RolePath, tags, ct).ConfigureAwait(false);
                made.RoleName = EcsNames.Role(id);
                await apis.Iam.AttachPolicyAsync(made.RoleName, IamApi.ExecutionPolicy, ct).ConfigureAwait(false);
            }

            var vpc = await apis.Ec2.VpcAsync(options.VpcId, ct).ConfigureAwait(false);
            made.Subnets = await apis.Ec2.SubnetsAsync(vpc, options.SubnetIds, ct).ConfigureAwait(false);
            if (options.SecurityGroupIds is { Count: > 0 } groups) made.SecurityGroups = groups;
            else
            {
                made.SecurityGroup = await apis.Ec2.CreateGroupAsync(EcsNames.ClusterName(id), vpc, tags, options.IngressCidrs, ct).ConfigureAwait(false);
                made.SecurityGroups = [made.SecurityGroup];
            }

            made.TaskDefinitionArn = await apis.Ecs.RegisterTaskDefinitionAsync(TaskDefinition(options, id, executionRole, tags), ct).ConfigureAwait(false);
            return made;
        }
        catch
        {
            await made.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The worker task: the Shoal image under <c>/bin/sh -c</c> running <see cref="WorkerScript"/>; each task's environment says who it is.</summary>
    private static JsonObject TaskDefinition(EcsClusterOptions options, string id, string executionRole, IReadOnlyDictionary<string, string> tags)
    {
        var definition = new JsonObject
        {
            ["family"] = EcsNames.Family(id),
            ["networkMode"] = "awsvpc",
            ["requiresCompatibilities"] = new JsonArray(options.Fargate ? "FARGATE" : "EC2"),
            ["cpu"] = options.Cpu.ToString(CultureInfo.InvariantCulture),
            ["memory"] = options.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            ["executionRoleArn"] = executionRole,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = EcsNames.Container,
                ["image"] = options.Image,
                ["essential"] = true,
                ["entryPoint"] = new JsonArray("/bin/sh", "-c"),
                ["command"] = new JsonArray(WorkerScript.Text),
                ["logConfiguration"] = new JsonObject
                {
                    ["logDriver"] = "awslogs",
                    ["options"] = new JsonObject
                    {
                        ["awslogs-group"] = EcsNames.LogGroup(id),
                        ["awslogs-region"] = options.Region,
                        ["awslogs-stream-prefix"] = "shoal",
                    },
                },
            }),
            ["tags"] = EcsApi.Tags(tags),
        };
        if (options.TaskRoleArn is { } taskRole) definition["taskRoleArn"] = taskRole;
        return definition;
    }

    /// <summary>
    /// Removes what was made, newest first: every step is tried even when one fails (the failures are
    /// thrown together at the end), so one refusal leaves as little as possible behind. The tasks must be stopped.
    /// </summary>
    public async Task DeleteAsync(CancellationToken ct)
    {
        var failures = new List<Exception>();
        async Task Step(string what, Func<Task> step)
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (CloudApiException e) when (e.IsNotFound)
            {
                // already gone (a cleanup ran, or someone removed it): nothing to do
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                EcsLog.DeleteFailed(_logger, what, e.Message);
                failures.Add(e);
            }
        }

        if (TaskDefinitionArn is { } definition) await Step(definition, () => _apis.Ecs.DeregisterTaskDefinitionAsync(definition, ct)).ConfigureAwait(false);
        if (SecurityGroup is { } group) await Step(group, () => _apis.Ec2.DeleteGroupAsync(group, ct)).ConfigureAwait(false);
        if (RoleName is { } role) await Step(role, () => _apis.Iam.DeleteRoleAsync(role, ct)).ConfigureAwait(false);
        if (LogGroup is { } logs) await Step(logs, () => _apis.Logs.DeleteGroupAsync(logs, ct)).ConfigureAwait(false);
        if (OwnsCluster) await Step(ClusterArn, () => _apis.Ecs.DeleteClusterAsync(ClusterArn, ct)).ConfigureAwait(false);
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} of the cluster's AWS objects could not be removed (run EcsCluster.CleanupAsync later)", failures);
    }
}

internal static partial class EcsLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Could not remove {What}: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, string what, string reason);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Worker task {Task} never started within {Seconds} s: stopped")]
    public static partial void NeverStarted(ILogger logger, string task, double seconds);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Worker task {Task} stopped before it ran: {Reason}")]
    public static partial void StoppedEarly(ILogger logger, string task, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Information, Message = "Removing leftovers of Shoal cluster {Cluster}")]
    public static partial void CleaningUp(ILogger logger, string cluster);
}
