using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Shoal.Dashboard;

namespace Shoal.Kubernetes.Operator;

/// <summary>
/// The scheduler's HTTP API as the operator calls it (as the Dask operator calls Dask's):
/// <c>GET /api/v1/workers</c>, <c>GET /api/v1/adaptive_target</c> and
/// <c>POST /api/v1/retire_workers</c>, with the dashboard's admin bearer token, which the operator
/// derives from the cluster's client token in the cluster's Secret (as <c>shoal dashboard-link</c> does).
/// </summary>
internal sealed class SchedulerHttpApi(HttpClient http, Uri baseUri, SecurityOptions clientCredentials)
{
    private readonly string _bearer = DashboardCredentials.For(clientCredentials).BearerToken(DashboardRole.Admin);

    /// <summary>
    /// An HTTP client for one cluster's scheduler: its dashboard serves HTTPS with the scheduler's
    /// certificate, trusted when it chains to the cluster's CA and carries the scheduler role (the
    /// check Shoal's own connections make; the system's CAs are never asked).
    /// </summary>
    public static HttpClient ClientFor(SecurityOptions credentials)
    {
        var ca = credentials.CaCertificate ?? throw new ArgumentException("the cluster's credentials have no CA", nameof(credentials));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Security.ChainValidator.Validate(ca, certificate) is null && Security.CertificateRoles.Of(certificate) == Protocol.Messages.Role.Scheduler,
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
    }

    public async Task<IReadOnlyList<RegisteredWorker>> GetWorkersAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "api/v1/workers");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var workers = await response.Content.ReadFromJsonAsync<WorkerEntry[]>(Json, cancellationToken).ConfigureAwait(false) ?? [];
        return [.. workers.Select(w => new RegisteredWorker(w.Name, w.HeldResults, w.Processing, w.Retiring))];
    }

    public async Task<int> GetAdaptiveTargetAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "api/v1/adaptive_target");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var target = await response.Content.ReadFromJsonAsync<TargetEntry>(Json, cancellationToken).ConfigureAwait(false);
        return target?.Workers ?? 0;
    }

    /// <summary>Retires the named workers (their unique results moved elsewhere first); answers the names retired.</summary>
    public async Task<IReadOnlyList<string>> RetireAsync(IReadOnlyList<string> workers, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "api/v1/retire_workers");
        request.Content = JsonContent.Create(new { workers }, options: Json);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadFromJsonAsync<RetireEntry>(Json, cancellationToken).ConfigureAwait(false);
        return answer?.Retired ?? [];
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        response.Dispose();
        throw new HttpRequestException($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body.Trim()}", null, response.StatusCode);
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record WorkerEntry(string Name, [property: JsonPropertyName("held_results")] int HeldResults, int Processing, bool Retiring);

    private sealed record TargetEntry(int Workers);

    private sealed record RetireEntry(string[] Retired);
}
