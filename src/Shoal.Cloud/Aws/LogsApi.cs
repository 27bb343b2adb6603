using System.Text.Json.Nodes;

namespace Shoal.Cloud.Aws;

/// <summary>
/// The CloudWatch Logs calls Shoal makes, typed (AWS JSON 1.1, <c>Logs_20140328</c>).
/// AWSSDK.CloudWatchLogs would replace this class; the mirror this project builds from does not serve it.
/// </summary>
internal sealed class LogsApi(AwsConnection connection)
{
    private readonly AwsJsonProtocol _json = new(connection, "logs", "Logs_20140328");

    public async Task CreateGroupAsync(string name, int retentionDays, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var tagObject = new JsonObject();
        foreach (var (key, value) in tags) tagObject[key] = value;
        await _json.CallAsync("CreateLogGroup", new JsonObject { ["logGroupName"] = name, ["tags"] = tagObject }, ct).ConfigureAwait(false);
        await _json.CallAsync("PutRetentionPolicy", new JsonObject { ["logGroupName"] = name, ["retentionInDays"] = retentionDays }, ct).ConfigureAwait(false);
    }

    public Task DeleteGroupAsync(string name, CancellationToken ct) =>
        _json.CallAsync("DeleteLogGroup", new JsonObject { ["logGroupName"] = name }, ct);

    public async Task<IReadOnlyList<string>> GroupsAsync(string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        string? token = null;
        do
        {
            var request = new JsonObject { ["logGroupNamePrefix"] = prefix };
            if (token is not null) request["nextToken"] = token;
            var reply = await _json.CallAsync("DescribeLogGroups", request, ct).ConfigureAwait(false);
            names.AddRange((reply["logGroups"]?.AsArray() ?? []).Select(g => g!["logGroupName"]!.GetValue<string>()));
            token = reply["nextToken"]?.GetValue<string>();
        }
        while (token is not null);
        return names;
    }

    /// <summary>The latest <paramref name="limit"/> lines of a stream (empty when it does not exist yet).</summary>
    public async Task<IReadOnlyList<string>> TailAsync(string group, string stream, int limit, CancellationToken ct)
    {
        try
        {
            var reply = await _json.CallAsync("GetLogEvents", new JsonObject
            {
                ["logGroupName"] = group, ["logStreamName"] = stream, ["limit"] = limit, ["startFromHead"] = false,
            }, ct).ConfigureAwait(false);
            return [.. (reply["events"]?.AsArray() ?? []).Select(e => e!["message"]!.GetValue<string>())];
        }
        catch (CloudApiException e) when (e.Code == "ResourceNotFoundException")
        {
            return [];
        }
    }
}
