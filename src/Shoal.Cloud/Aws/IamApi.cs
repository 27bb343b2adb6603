using System.Xml.Linq;

namespace Shoal.Cloud.Aws;

/// <summary>
/// The IAM calls Shoal makes, typed (query protocol, version 2010-05-08; IAM is global and signed for us-east-1).
/// AWSSDK.IdentityManagement would replace this class; the mirror this project builds from does not serve it.
/// </summary>
internal sealed class IamApi(AwsConnection connection)
{
    /// <summary>The managed policy that lets ECS pull images and write logs for a task.</summary>
    public const string ExecutionPolicy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

    private const string AssumedByEcsTasks =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    private readonly AwsQueryProtocol _query = new(connection, "iam", "2010-05-08");

    /// <summary>Creates a role ECS tasks can assume, under <paramref name="path"/>, tagged; gives its ARN.</summary>
    public async Task<string> CreateTaskRoleAsync(string name, string path, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("RoleName", name), new("Path", path), new("AssumeRolePolicyDocument", AssumedByEcsTasks),
            new("Description", "Shoal workers on ECS"),
        };
        var i = 1;
        foreach (var (key, value) in tags)
        {
            parameters.Add(new($"Tags.member.{i}.Key", key));
            parameters.Add(new($"Tags.member.{i}.Value", value));
            i++;
        }
        var result = await _query.CallAsync("CreateRole", parameters, ct).ConfigureAwait(false);
        return result.Descendants().First(e => e.Name.LocalName == "Arn").Value;
    }

    public Task AttachPolicyAsync(string role, string policyArn, CancellationToken ct) =>
        _query.CallAsync("AttachRolePolicy", [new("RoleName", role), new("PolicyArn", policyArn)], ct);

    /// <summary>Detaches every managed policy of the role, then deletes it (IAM refuses to delete a role with policies attached).</summary>
    public async Task DeleteRoleAsync(string role, CancellationToken ct)
    {
        var attached = await _query.CallAsync("ListAttachedRolePolicies", [new("RoleName", role)], ct).ConfigureAwait(false);
        foreach (var arn in attached.Descendants().Where(e => e.Name.LocalName == "PolicyArn").Select(e => e.Value).ToList())
            await _query.CallAsync("DetachRolePolicy", [new("RoleName", role), new("PolicyArn", arn)], ct).ConfigureAwait(false);
        await _query.CallAsync("DeleteRole", [new("RoleName", role)], ct).ConfigureAwait(false);
    }

    /// <summary>Names of the roles under <paramref name="pathPrefix"/>.</summary>
    public async Task<IReadOnlyList<string>> RolesUnderAsync(string pathPrefix, CancellationToken ct)
    {
        var names = new List<string>();
        string? marker = null;
        do
        {
            var parameters = new List<KeyValuePair<string, string>> { new("PathPrefix", pathPrefix) };
            if (marker is not null) parameters.Add(new("Marker", marker));
            var result = await _query.CallAsync("ListRoles", parameters, ct).ConfigureAwait(false);
            names.AddRange(result.Descendants().Where(e => e.Name.LocalName == "RoleName").Select(e => e.Value));
            marker = AwsQueryProtocol.Child(result, "IsTruncated") == "true" ? AwsQueryProtocol.Child(result, "Marker") : null;
        }
        while (marker is not null);
        return names;
    }

    public async Task<IReadOnlyDictionary<string, string>> TagsOfAsync(string role, CancellationToken ct)
    {
        var result = await _query.CallAsync("ListRoleTags", [new("RoleName", role)], ct).ConfigureAwait(false);
        return result.Descendants().Where(e => e.Name.LocalName == "member" && e.Elements().Any(c => c.Name.LocalName == "Key"))
            .ToDictionary(e => AwsQueryProtocol.Child(e, "Key")!, e => AwsQueryProtocol.Child(e, "Value") ?? "", StringComparer.Ordinal);
    }
}
