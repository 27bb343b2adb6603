using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>CloudWatch Logs (JSON 1.1, Logs_20140328) for the calls Shoal makes: log groups with tags and retention, and the events of a stream.</summary>
internal sealed partial class FakeLogs
{
    private static readonly int[] Retentions = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Group> _groups = [];

    public bool GroupExists(string name)
    {
        lock (_lock) return _groups.ContainsKey(name);
    }

    public int? RetentionOf(string name)
    {
        lock (_lock) return _groups[name].Retention;
    }

    public IReadOnlyList<string> Leftovers()
    {
        lock (_lock) return [.. _groups.Keys.Select(g => "log group " + g)];
    }

    /// <summary>A line the container wrote (awslogs makes the stream on the first one).</summary>
    public void Append(string group, string stream, string line)
    {
        lock (_lock)
        {
            if (_groups.TryGetValue(group, out var g)) (g.Streams.TryGetValue(stream, out var lines) ? lines : g.Streams[stream] = []).Add(line);
        }
    }

    public FakeReply Handle(string action, JsonObject request)
    {
        lock (_lock)
        {
            return FakeReply.Json(action switch
            {
                "CreateLogGroup" => Create(request),
                "PutRetentionPolicy" => Retention(request),
                "DeleteLogGroup" => Delete(request),
                "DescribeLogGroups" => new JsonObject
                {
                    ["logGroups"] = new JsonArray([.. _groups.Keys.Where(k => k.StartsWith(request.OptionalString("logGroupNamePrefix") ?? "", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                        .Select(k => (JsonNode)new JsonObject { ["logGroupName"] = k, ["retentionInDays"] = _groups[k].Retention })]),
                },
                "GetLogEvents" => Events(request),
                _ => throw new FakeError("UnknownOperationException", $"unknown operation {action}"),
            });
        }
    }

    private Group GroupOf(JsonObject request) =>
        _groups.GetValueOrDefault(request.String("logGroupName")) ?? throw new FakeError("ResourceNotFoundException", "The specified log group does not exist.");

    private JsonObject Create(JsonObject request)
    {
        var name = request.String("logGroupName");
        if (!GroupName().IsMatch(name)) throw FakeError.Invalid("logGroupName: 1-512 of [.-_/#A-Za-z0-9]");
        if (_groups.ContainsKey(name)) throw new FakeError("ResourceAlreadyExistsException", "The specified log group already exists");
        var tags = request["tags"] as JsonObject;
        if (tags is { Count: > 50 }) throw FakeError.Invalid("at most 50 tags");
        _groups[name] = new Group();
        return [];
    }

    private JsonObject Retention(JsonObject request)
    {
        var group = GroupOf(request);
        var days = request["retentionInDays"]?.GetValue<int>() ?? throw FakeError.Invalid("retentionInDays is required");
        if (!Retentions.Contains(days)) throw FakeError.Invalid($"retentionInDays {days} is not one of the allowed values");
        group.Retention = days;
        return [];
    }

    private JsonObject Delete(JsonObject request)
    {
        GroupOf(request);
        _groups.Remove(request.String("logGroupName"));
        return [];
    }

    private JsonObject Events(JsonObject request)
    {
        var group = GroupOf(request);
        var lines = group.Streams.GetValueOrDefault(request.String("logStreamName")) ?? throw new FakeError("ResourceNotFoundException", "The specified log stream does not exist.");
        var limit = request["limit"]?.GetValue<int>() ?? 10000;
        return new JsonObject { ["events"] = new JsonArray([.. lines.TakeLast(limit).Select(l => (JsonNode)new JsonObject { ["message"] = l, ["timestamp"] = 0 })]) };
    }

    [GeneratedRegex(@"^[\.\-_/#A-Za-z0-9]{1,512}$")]
    private static partial Regex GroupName();

    private sealed class Group
    {
        public int? Retention { get; set; }

        public Dictionary<string, List<string>> Streams { get; } = [];
    }
}
