using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>
/// ECS as its API reference describes it, for the calls Shoal makes: clusters (ACTIVE until deleted, which
/// tasks prevent), task definitions (Fargate's CPU and memory pairs, awsvpc, roles and log groups that must
/// exist), RunTask (launch type or capacity providers, never both; subnets and groups that must exist; the
/// 8192-character limit on overrides; the concurrent-task quota given as a failure) and tasks that go
/// PROVISIONING, RUNNING, DEPROVISIONING, STOPPED on a clock of their own.
/// </summary>
internal sealed partial class FakeEcs(FakeAws aws)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Cluster> _clusters = [];
    private readonly Dictionary<string, Definition> _definitions = [];
    private readonly Dictionary<string, FakeTask> _tasks = [];
    private readonly Dictionary<string, int> _revisions = [];

    /// <summary>From RunTask to RUNNING.</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>From StopTask to STOPPED (the network interface's release).</summary>
    public TimeSpan StopDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Tasks stay PROVISIONING for ever (no capacity), as a task that never starts.</summary>
    public bool NeverStart { get; set; }

    /// <summary>Tasks not stopped that the account may have at once.</summary>
    public int TaskQuota { get; set; } = 1000;

    private static string Arn(string kind, string rest) => $"arn:aws:ecs:{FakeAws.Region}:{FakeAws.Account}:{kind}/{rest}";

    public IReadOnlyList<string> Leftovers()
    {
        lock (_lock)
        {
            return
            [
                .. _clusters.Values.Where(c => c.Active).Select(c => "ecs cluster " + c.Name),
                .. _definitions.Where(d => d.Value.Active).Select(d => "task definition " + d.Key),
                .. _tasks.Values.Where(t => t.LastStatus != "STOPPED").Select(t => "task " + t.Arn),
            ];
        }
    }

    /// <summary>The tasks run so far (for checks of what was asked).</summary>
    public IReadOnlyList<FakeTask> Tasks
    {
        get { lock (_lock) return [.. _tasks.Values]; }
    }

    public JsonObject? DefinitionOf(string arn)
    {
        lock (_lock) return _definitions.GetValueOrDefault(arn)?.Body;
    }

    public FakeReply Handle(string action, JsonObject request) => FakeReply.Json(action switch
    {
        "CreateCluster" => CreateCluster(request),
        "DeleteCluster" => DeleteCluster(request),
        "ListClusters" => new JsonObject { ["clusterArns"] = Strings(Locked(() => _clusters.Values.Where(c => c.Active).Select(c => c.Arn).ToList())) },
        "DescribeClusters" => DescribeClusters(request),
        "RegisterTaskDefinition" => RegisterTaskDefinition(request),
        "DeregisterTaskDefinition" => DeregisterTaskDefinition(request),
        "ListTaskDefinitions" => ListTaskDefinitions(request),
        "ListTagsForResource" => ListTagsForResource(request),
        "RunTask" => RunTask(request),
        "StopTask" => StopTask(request),
        "ListTasks" => ListTasks(request),
        "DescribeTasks" => DescribeTasks(request),
        _ => throw new FakeError("UnknownOperationException", $"unknown operation {action}"),
    });

    private T Locked<T>(Func<T> read)
    {
        lock (_lock) return read();
    }

    private JsonObject CreateCluster(JsonObject request)
    {
        var name = request.String("clusterName");
        if (!NamePattern().IsMatch(name)) throw FakeError.Invalid("clusterName: up to 255 letters, numbers, hyphens and underscores");
        var providers = request["capacityProviders"] is null ? [] : request.Array("capacityProviders").Select(p => p!.GetValue<string>()).ToList();
        if (providers.Except(["FARGATE", "FARGATE_SPOT"]).Any()) throw FakeError.Invalid("unknown capacity provider");
        var cluster = new Cluster(Arn("cluster", name), name, request.EcsTags(), providers);
        lock (_lock)
        {
            // CreateCluster is idempotent for an active cluster of the same name.
            if (_clusters.TryGetValue(cluster.Arn, out var existing) && existing.Active) return new JsonObject { ["cluster"] = existing.Describe(false) };
            _clusters[cluster.Arn] = cluster;
        }
        return new JsonObject { ["cluster"] = cluster.Describe(false) };
    }

    private Cluster ClusterOf(string reference)
    {
        var cluster = _clusters.GetValueOrDefault(reference) ?? _clusters.GetValueOrDefault(Arn("cluster", reference));
        return cluster is { Active: true } ? cluster : throw new FakeError("ClusterNotFoundException", "Cluster not found.");
    }

    private JsonObject DeleteCluster(JsonObject request)
    {
        lock (_lock)
        {
            var cluster = ClusterOf(request.String("cluster"));
            if (_tasks.Values.Any(t => t.Cluster == cluster.Arn && t.LastStatus != "STOPPED"))
                throw new FakeError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
            cluster.Active = false;
            return new JsonObject { ["cluster"] = cluster.Describe(false) };
        }
    }

    private JsonObject DescribeClusters(JsonObject request)
    {
        var tags = request["include"] is JsonArray include && include.Any(i => i!.GetValue<string>() == "TAGS");
        lock (_lock)
        {
            var found = new JsonArray();
            var failures = new JsonArray();
            foreach (var reference in request.Array("clusters").Select(c => c!.GetValue<string>()))
            {
                if (_clusters.GetValueOrDefault(reference) is { } cluster) found.Add(cluster.Describe(tags));
                else failures.Add(new JsonObject { ["arn"] = reference, ["reason"] = "MISSING" });
            }
            return new JsonObject { ["clusters"] = found, ["failures"] = failures };
        }
    }

    private JsonObject RegisterTaskDefinition(JsonObject request)
    {
        var family = request.String("family");
        if (!NamePattern().IsMatch(family)) throw FakeError.Invalid("family: up to 255 letters, numbers, hyphens and underscores");
        var containers = request.Array("containerDefinitions");
        if (containers.Count == 0) throw new FakeError("ClientException", "Container list cannot be empty.");
        var fargate = request["requiresCompatibilities"] is JsonArray compat && compat.Any(c => c!.GetValue<string>() == "FARGATE");
        var network = request.OptionalString("networkMode") ?? "bridge";
        if (network is not ("bridge" or "host" or "awsvpc" or "none")) throw FakeError.Invalid("networkMode");
        if (fargate)
        {
            if (network != "awsvpc") throw new FakeError("ClientException", "Fargate only supports network mode 'awsvpc'.");
            if (!FargateSizes(request.String("cpu"), request.String("memory")))
                throw new FakeError("ClientException", "No Fargate configuration exists for given values.");
        }
        var executionRole = request.OptionalString("executionRoleArn");
        if (executionRole is not null && !aws.Iam.RoleExists(executionRole)) throw new FakeError("ClientException", $"Role is not valid: {executionRole}");
        foreach (var container in containers.Select(c => (JsonObject)c!))
        {
            container.String("name");
            container.String("image");
            if (container["logConfiguration"] is JsonObject logs && logs.String("logDriver") == "awslogs")
            {
                if (fargate && executionRole is null) throw new FakeError("ClientException", "Fargate requires task definition to have execution role ARN to support log driver awslogs.");
                var options = logs.Object("options");
                var group = options.String("awslogs-group");
                if (options.String("awslogs-region") != FakeAws.Region) throw new FakeError("ClientException", "awslogs-region must be the task's region");
                if (!aws.Logs.GroupExists(group)) throw new FakeError("ClientException", $"The log group {group} does not exist.");
            }
        }
        lock (_lock)
        {
            var revision = _revisions[family] = _revisions.GetValueOrDefault(family) + 1;
            var arn = Arn("task-definition", $"{family}:{revision}");
            var body = (JsonObject)request.DeepClone();
            body["taskDefinitionArn"] = arn;
            body["revision"] = revision;
            body["status"] = "ACTIVE";
            _definitions[arn] = new Definition(body, request.EcsTags()) { Active = true };
            body = (JsonObject)body.DeepClone();
            body.Remove("tags");
            return new JsonObject { ["taskDefinition"] = body, ["tags"] = request["tags"]?.DeepClone() };
        }
    }

    /// <summary>Fargate's documented task sizes.</summary>
    private static bool FargateSizes(string cpu, string memory) =>
        int.TryParse(cpu, out var c) && int.TryParse(memory, out var m) && c switch
        {
            256 => m is 512 or 1024 or 2048,
            512 => m is >= 1024 and <= 4096 && m % 1024 == 0,
            1024 => m is >= 2048 and <= 8192 && m % 1024 == 0,
            2048 => m is >= 4096 and <= 16384 && m % 1024 == 0,
            4096 => m is >= 8192 and <= 30720 && m % 1024 == 0,
            _ => false,
        };

    private Definition DefinitionFor(string reference) =>
        _definitions.GetValueOrDefault(reference) is { } found ? found
        : throw new FakeError("ClientException", "Unable to describe task definition.");

    private JsonObject DeregisterTaskDefinition(JsonObject request)
    {
        lock (_lock)
        {
            var definition = DefinitionFor(request.String("taskDefinition"));
            definition.Active = false;
            definition.Body["status"] = "INACTIVE";
            return new JsonObject { ["taskDefinition"] = definition.Body.DeepClone() };
        }
    }

    private JsonObject ListTaskDefinitions(JsonObject request)
    {
        var prefix = request.OptionalString("familyPrefix") ?? "";
        var status = request.OptionalString("status") ?? "ACTIVE";
        lock (_lock)
        {
            return new JsonObject
            {
                ["taskDefinitionArns"] = Strings(_definitions.Where(d => d.Value.Active == (status == "ACTIVE") && d.Value.Body["family"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal))
                    .Select(d => d.Key).ToList()),
            };
        }
    }

    private JsonObject ListTagsForResource(JsonObject request)
    {
        var arn = request.String("resourceArn");
        lock (_lock)
        {
            var tags = _definitions.GetValueOrDefault(arn)?.Tags ?? _clusters.GetValueOrDefault(arn)?.Tags ?? _tasks.GetValueOrDefault(arn)?.Tags
                ?? throw FakeError.Invalid("The specified resource could not be found.");
            return new JsonObject { ["tags"] = TagArray(tags) };
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,255}$")]
    private static partial Regex NamePattern();

    internal static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    internal static JsonArray TagArray(IReadOnlyDictionary<string, string> tags) =>
        new([.. tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]);

    private sealed class Cluster(string arn, string name, Dictionary<string, string> tags, List<string> providers)
    {
        public string Arn { get; } = arn;

        public string Name { get; } = name;

        public Dictionary<string, string> Tags { get; } = tags;

        public List<string> Providers { get; } = providers;

        public bool Active { get; set; } = true;

        public JsonObject Describe(bool withTags)
        {
            var cluster = new JsonObject
            {
                ["clusterArn"] = Arn, ["clusterName"] = Name, ["status"] = Active ? "ACTIVE" : "INACTIVE", ["capacityProviders"] = Strings(Providers),
            };
            if (withTags) cluster["tags"] = TagArray(Tags);
            return cluster;
        }
    }

    private sealed record Definition(JsonObject Body, Dictionary<string, string> Tags)
    {
        public bool Active { get; set; }
    }
}
