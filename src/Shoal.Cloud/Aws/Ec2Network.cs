using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;

namespace Shoal.Cloud.Aws;

/// <summary>The network an ECS cluster's tasks live in, through AWSSDK.EC2: the VPC, its subnets, and the cluster's own security group.</summary>
internal sealed class Ec2Network(AwsConnection connection) : IDisposable
{
    private readonly AmazonEC2Client _ec2 = new(connection.Credentials, ConfigFor(connection));

    private static AmazonEC2Config ConfigFor(AwsConnection connection)
    {
        var config = new AmazonEC2Config { MaxErrorRetry = 8 };
        var endpoint = connection.EndpointOf("ec2");
        if (endpoint.Host.EndsWith(".amazonaws.com", StringComparison.Ordinal)) config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(connection.Region);
        else
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = connection.Region;
        }
        return config;
    }

    /// <summary>The VPC given, else the account's default VPC in the region (an error naming the remedy when there is none).</summary>
    public async Task<string> VpcAsync(string? given, CancellationToken ct)
    {
        if (given is not null) return given;
        var reply = await Call(() => _ec2.DescribeVpcsAsync(new DescribeVpcsRequest { Filters = [new Filter("isDefault", ["true"])] }, ct), "DescribeVpcs").ConfigureAwait(false);
        return reply.Vpcs?.FirstOrDefault()?.VpcId
            ?? throw new InvalidOperationException($"the region {connection.Region} has no default VPC: give VpcId and SubnetIds");
    }

    public async Task<IReadOnlyList<string>> SubnetsAsync(string vpc, IReadOnlyList<string>? given, CancellationToken ct)
    {
        if (given is { Count: > 0 }) return given;
        var reply = await Call(() => _ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new Filter("vpc-id", [vpc])] }, ct), "DescribeSubnets").ConfigureAwait(false);
        var subnets = reply.Subnets?.Select(s => s.SubnetId).ToList() ?? [];
        return subnets.Count > 0 ? subnets : throw new InvalidOperationException($"the VPC {vpc} has no subnets: give SubnetIds");
    }

    /// <summary>
    /// A security group that admits TCP only from its own members (workers reach each other; nothing else
    /// reaches them), plus the CIDR ranges given (say, the client's subnet, whose scheduler the workers dial
    /// out to anyway: outbound is open as in every new group).
    /// </summary>
    public async Task<string> CreateGroupAsync(string name, string vpc, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> extraCidrs, CancellationToken ct)
    {
        var created = await Call(() => _ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = name, Description = "Shoal workers: only each other", VpcId = vpc,
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [.. tags.Select(t => new Tag(t.Key, t.Value))] }],
        }, ct), "CreateSecurityGroup").ConfigureAwait(false);
        var permission = new IpPermission { IpProtocol = "tcp", FromPort = 0, ToPort = 65535, UserIdGroupPairs = [new UserIdGroupPair { GroupId = created.GroupId }] };
        if (extraCidrs.Count > 0) permission.Ipv4Ranges = [.. extraCidrs.Select(c => new IpRange { CidrIp = c, Description = "asked for" })];
        try
        {
            await Call(() => _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest { GroupId = created.GroupId, IpPermissions = [permission] }, ct),
                "AuthorizeSecurityGroupIngress").ConfigureAwait(false);
        }
        catch
        {
            // The caller never learns the group's id: it is removed here, or it would be left behind.
            await DeleteGroupAsync(created.GroupId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return created.GroupId;
    }

    /// <summary>Deletes the group; while the tasks' network interfaces still hold it EC2 says DependencyViolation, and it is tried again.</summary>
    public Task DeleteGroupAsync(string group, CancellationToken ct) =>
        new CloudRetry(40, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3)).RunAsync(
            async c => await Call(() => _ec2.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = group }, c), "DeleteSecurityGroup").ConfigureAwait(false),
            e => e.Code == "DependencyViolation", ct);

    /// <summary>The groups carrying the tag <paramref name="key"/> (any value, or <paramref name="value"/>).</summary>
    public async Task<IReadOnlyList<string>> GroupsTaggedAsync(string key, string? value, CancellationToken ct)
    {
        var filter = value is null ? new Filter("tag-key", [key]) : new Filter($"tag:{key}", [value]);
        var reply = await Call(() => _ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [filter] }, ct), "DescribeSecurityGroups").ConfigureAwait(false);
        return reply.SecurityGroups?.Select(g => g.GroupId).ToList() ?? [];
    }

    /// <summary>The SDK's errors as <see cref="CloudApiException"/>, as the other services' (its own retries have run).</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call, string action)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw new CloudApiException("ec2", action, e.ErrorCode ?? e.StatusCode.ToString(), e.Message, e.StatusCode);
        }
    }

    public void Dispose() => _ec2.Dispose();
}
