using Amazon.Runtime.Credentials;

namespace Shoal.Cloud.Aws;

/// <summary>One client per service, over one connection (credentials, region, endpoints, retries).</summary>
internal sealed class AwsApis : IDisposable
{
    private readonly HttpClient _http;

    public AwsApis(EcsClusterOptions options)
    {
        _http = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
        var credentials = options.Credentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials();
        Connection = new AwsConnection(_http, credentials, options.Region, options.ServiceUrls, options.Retry);
        Ecs = new EcsApi(Connection);
        Iam = new IamApi(Connection);
        Logs = new LogsApi(Connection);
        Ec2 = new Ec2Network(Connection);
    }

    public AwsConnection Connection { get; }

    public EcsApi Ecs { get; }

    public IamApi Iam { get; }

    public LogsApi Logs { get; }

    public Ec2Network Ec2 { get; }

    public void Dispose()
    {
        Ec2.Dispose();
        _http.Dispose();
    }
}

/// <summary>The tags and names by which Shoal finds what it made on AWS.</summary>
internal static class EcsNames
{
    public const string ClusterTag = "shoal:cluster";
    public const string ManagedByTag = "shoal:managed-by";
    public const string Prefix = "shoal-";
    public const string RolePath = "/shoal/";
    public const string LogGroupPrefix = "/shoal/";
    public const string Container = "worker";

    public static string ClusterName(string id) => Prefix + id;
    public static string LogGroup(string id) => LogGroupPrefix + id;
    public static string Role(string id) => $"{Prefix}{id}-execution";
    public static string Family(string id) => $"{Prefix}{id}-worker";

    /// <summary>The <c>startedBy</c> of every task of the cluster (at most 36 characters, as ECS allows): ListTasks filters by it.</summary>
    public static string StartedBy(string id) => Prefix + id;

    public static Dictionary<string, string> Tags(string id, IReadOnlyDictionary<string, string> extra)
    {
        var tags = new Dictionary<string, string>(extra, StringComparer.Ordinal) { [ClusterTag] = id, [ManagedByTag] = "shoal" };
        return tags;
    }
}
