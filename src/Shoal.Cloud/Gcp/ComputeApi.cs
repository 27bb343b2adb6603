using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Apis.Auth.OAuth2;

namespace Shoal.Cloud.Gcp;

/// <summary>
/// The Compute Engine v1 REST calls Shoal makes, over <see cref="HttpClient"/> with a bearer token from
/// Google.Apis.Auth. Writes answer with an operation, which is polled until DONE (its error, a quota
/// say, thrown then). Google.Apis.Compute.v1 would replace this class; the mirror this project builds from does not serve it.
/// </summary>
internal sealed class ComputeApi(HttpClient http, ITokenAccess credential, Uri root, string project, TimeSpan pollInterval, CloudRetry retry)
{
    /// <summary>The OAuth scope Shoal asks for.</summary>
    public const string Scope = "https://www.googleapis.com/auth/compute";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private Uri UriOf(string path) => new(root, $"projects/{project}/{path}");

    public Task<JsonObject> GetAsync(string path, CancellationToken ct) => CallAsync(HttpMethod.Get, path, null, ct);

    /// <summary>Sends a write and waits until its operation is DONE.</summary>
    public async Task WriteAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        var operation = await CallAsync(method, path, body, ct).ConfigureAwait(false);
        await WaitAsync(operation, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a write and hands back its operation without waiting.</summary>
    public Task<JsonObject> StartAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct) => CallAsync(method, path, body, ct);

    /// <summary>Polls the operation (zonal, regional or global) until DONE; throws its first error.</summary>
    public async Task WaitAsync(JsonObject operation, CancellationToken ct)
    {
        var name = operation["name"]?.GetValue<string>() ?? throw new InvalidOperationException("an operation without a name");
        var path = operation["zone"]?.GetValue<string>() is { } zone ? $"zones/{zone[(zone.LastIndexOf('/') + 1)..]}/operations/{name}"
            : operation["region"]?.GetValue<string>() is { } region ? $"regions/{region[(region.LastIndexOf('/') + 1)..]}/operations/{name}"
            : $"global/operations/{name}";
        while (operation["status"]?.GetValue<string>() != "DONE")
        {
            await Task.Delay(pollInterval, ct).ConfigureAwait(false);
            operation = await GetAsync(path, ct).ConfigureAwait(false);
        }
        if (operation["error"]?["errors"]?.AsArray().FirstOrDefault() is { } error)
            throw new CloudApiException("compute", operation["operationType"]?.GetValue<string>() ?? "operation", error["code"]?.GetValue<string>() ?? "ERROR",
                error["message"]?.GetValue<string>() ?? "the operation failed", (System.Net.HttpStatusCode)(operation["httpErrorStatusCode"]?.GetValue<int>() ?? 400));
    }

    /// <summary>Every item of a list call, page after page.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(string path, string? filter, CancellationToken ct)
    {
        var items = new List<JsonObject>();
        string? token = null;
        do
        {
            var query = new List<string>();
            if (filter is not null) query.Add("filter=" + Uri.EscapeDataString(filter));
            if (token is not null) query.Add("pageToken=" + Uri.EscapeDataString(token));
            var page = await GetAsync(query.Count == 0 ? path : $"{path}?{string.Join('&', query)}", ct).ConfigureAwait(false);
            items.AddRange((page["items"]?.AsArray() ?? []).Select(i => (JsonObject)i!));
            token = page["nextPageToken"]?.GetValue<string>();
        }
        while (token is not null);
        return items;
    }

    private Task<JsonObject> CallAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct) =>
        retry.RunAsync(c => CallOnceAsync(method, path, body?.ToJsonString(), c),
            e => e.Code is "rateLimitExceeded" or "userRateLimitExceeded" or "backendError" or "internalError", ct);

    private async Task<JsonObject> CallOnceAsync(HttpMethod method, string path, string? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, UriOf(path));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, Json);
        var token = await credential.GetAccessTokenForRequestAsync(root.ToString(), ct).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        JsonObject? parsed = null;
        try
        {
            parsed = text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: reported below with the status
        }
        if (response.IsSuccessStatusCode && parsed is not null) return parsed;
        var error = parsed?["error"];
        var reason = error?["errors"]?.AsArray().FirstOrDefault()?["reason"]?.GetValue<string>() ?? error?["status"]?.GetValue<string>() ?? response.StatusCode.ToString();
        throw new CloudApiException("compute", $"{method} {path}", reason, error?["message"]?.GetValue<string>() ?? text, response.StatusCode);
    }

    /// <summary>The credential to use: the one given, a key file's, else the application default, scoped to Compute Engine.</summary>
    public static async Task<ITokenAccess> CredentialAsync(GcpClusterOptions options, CancellationToken ct)
    {
        var credential = options.Credential
            ?? (options.ServiceAccountKeyFile is { } file
                ? (await CredentialFactory.FromFileAsync<ServiceAccountCredential>(file, ct).ConfigureAwait(false)).ToGoogleCredential()
                : await GoogleCredential.GetApplicationDefaultAsync(ct).ConfigureAwait(false));
        return credential.CreateScoped(Scope);
    }
}
