using Amazon.Runtime;

namespace Shoal.Cloud.Aws;

/// <summary>
/// What every AWS call shares: the region, the credentials (AWSSDK.Core's resolution chain unless
/// given), where each service answers, SigV4 signing and retries. ECS, IAM and CloudWatch Logs calls
/// go through it; EC2's through AWSSDK.EC2 with the same credentials and endpoints.
/// </summary>
internal sealed class AwsConnection(HttpClient http, AWSCredentials credentials, string region, IReadOnlyDictionary<string, Uri>? serviceUrls, CloudRetry retry)
{
    public string Region => region;

    public AWSCredentials Credentials => credentials;

    public CloudRetry Retry => retry;

    /// <summary>The service's endpoint: the one given for it, else its regional one (IAM is global, signed for us-east-1).</summary>
    public Uri EndpointOf(string service) =>
        serviceUrls is not null && serviceUrls.TryGetValue(service, out var url) ? url
        : service == "iam" ? new Uri("https://iam.amazonaws.com/")
        : new Uri($"https://{service}.{region}.amazonaws.com/");

    public string SigningRegionOf(string service) => service == "iam" ? "us-east-1" : region;

    /// <summary>Signs and sends one request (made anew for each attempt), and hands back the status and body.</summary>
    public async Task<(System.Net.HttpStatusCode Status, string Body)> SendAsync(string service, Func<HttpRequestMessage> make, CancellationToken cancellationToken)
    {
        using var request = make();
        var current = await credentials.GetCredentialsAsync().ConfigureAwait(false);
        await AwsSigV4.SignAsync(request, current, SigningRegionOf(service), service, DateTime.UtcNow, cancellationToken).ConfigureAwait(false);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }
}
