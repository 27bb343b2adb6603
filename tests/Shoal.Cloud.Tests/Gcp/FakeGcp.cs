using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shoal.Cloud.Gcp;

namespace Shoal.Cloud.Tests.Gcp;

/// <summary>
/// An in-test Google Cloud: an OAuth token endpoint that checks a service account's signed JWT (RS256
/// against its public key, issuer, audience, scope, expiry) and the Compute Engine v1 API for the calls
/// Shoal makes, which checks the bearer token and each resource's documented shape, answers writes with
/// operations that are PENDING, RUNNING, then DONE (with the quota error on the operation, as Compute
/// Engine reports it), 409 for a name taken, and VMs that go PROVISIONING, STAGING, RUNNING, and run their
/// worker in this process from their metadata (<see cref="FakeContainers"/>).
/// </summary>
internal sealed partial class FakeGcp : IAsyncDisposable
{
    public const string Project = "shoal-test";
    public const string Zone = "europe-west1-b";
    public const string ClientEmail = "shoal@shoal-test.iam.gserviceaccount.com";

    private static readonly Dictionary<string, int> MachineCpus = new() { ["e2-standard-2"] = 2, ["e2-standard-4"] = 4, ["n2-standard-8"] = 8 };
    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JsonObject> _firewalls = [];
    private readonly Dictionary<string, Vm> _vms = [];
    private readonly Dictionary<string, JsonObject> _operations = [];
    private int _calls;

    private FakeGcp(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public FakeContainers Containers { get; } = new();

    /// <summary>Every Compute call answered: method, path, status.</summary>
    public ConcurrentQueue<(string Method, string Path, int Status)> Calls { get; } = new();

    /// <summary>Paths asked of the metadata server.</summary>
    public ConcurrentQueue<string> MetadataCalls { get; } = new();

    /// <summary>Tokens issued by the token endpoint.</summary>
    public int TokensIssued => _tokens.Count;

    public TimeSpan Latency { get; set; }

    /// <summary>From insert to DONE of an operation.</summary>
    public TimeSpan OperationDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>From DONE of an insert to RUNNING.</summary>
    public TimeSpan BootDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>VMs stay STAGING for ever.</summary>
    public bool NeverStart { get; set; }

    /// <summary>vCPUs the project may have in the region.</summary>
    public int CpuQuota { get; set; } = 1000;

    /// <summary>Which calls (method, running count) are rate-limited (403 rateLimitExceeded).</summary>
    public Func<string, int, bool> RateLimit { get; set; } = (_, _) => false;

    /// <summary>Make the next insert of a VM answer 409 after creating it, as when a first attempt's answer was lost.</summary>
    public bool ConflictOnNextInsert { get; set; }

    public static async Task<FakeGcp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeGcp(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.BaseAddress = new Uri(app.Urls.First());
        return fake;
    }

    /// <summary>A service-account key file whose token_uri is this fake's token endpoint.</summary>
    public string WriteKeyFile(string directory, RSA? key = null)
    {
        var json = new JsonObject
        {
            ["type"] = "service_account", ["project_id"] = Project, ["private_key_id"] = "k1",
            ["private_key"] = (key ?? _key).ExportPkcs8PrivateKeyPem(), ["client_email"] = ClientEmail, ["client_id"] = "100",
            ["token_uri"] = new Uri(BaseAddress, "/token").ToString(),
        };
        var path = Path.Join(directory, "key.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    public GcpClusterOptions Options(string keyFile) => new()
    {
        Project = Project, Zone = Zone, Image = "localhost/shoal:latest", ServiceAccountKeyFile = keyFile,
        ComputeUrl = new Uri(BaseAddress, "/compute/v1/"), SchedulerHost = "127.0.0.1", AdvertisedSchedulerHost = "127.0.0.1",
        ThreadsPerWorker = 1, MemoryLimitPerWorker = 1L << 30, PollInterval = TimeSpan.FromMilliseconds(50), StartTimeout = TimeSpan.FromSeconds(60),
        Retry = new CloudRetry(10, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(100)),
    };

    public IReadOnlyList<string> Leftovers()
    {
        lock (_lock) return [.. _vms.Keys.Select(v => "VM " + v), .. _firewalls.Keys.Select(f => "firewall " + f)];
    }

    public JsonObject? InstanceBody(string name)
    {
        lock (_lock) return _vms.GetValueOrDefault(name)?.Body;
    }

    public IReadOnlyList<JsonObject> Firewalls
    {
        get { lock (_lock) return [.. _firewalls.Values]; }
    }

    /// <summary>Every VM body ever inserted (deleted ones included).</summary>
    public ConcurrentQueue<JsonObject> Inserted { get; } = new();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency);
        (HttpStatusCode Status, JsonObject Body) reply;
        try
        {
            if (path == "/token") reply = (HttpStatusCode.OK, IssueToken(body));
            else if (path == "/" || path.StartsWith("/computeMetadata/", StringComparison.Ordinal))
            {
                // The metadata server (GCE_METADATA_HOST), as a VM's default service account reaches it.
                context.Response.Headers["Metadata-Flavor"] = "Google";
                if (context.Request.Headers["Metadata-Flavor"] != "Google") throw new GcpError(HttpStatusCode.Forbidden, "forbidden", "Missing Metadata-Flavor: Google");
                if (path.EndsWith("/universe/universe-domain", StringComparison.Ordinal))
                {
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync("googleapis.com");
                    return;
                }
                var token = "ya29.metadata-" + Guid.NewGuid().ToString("N");
                if (path.EndsWith("/service-accounts/default/token", StringComparison.Ordinal)) _tokens[token] = true;
                MetadataCalls.Enqueue(path);
                reply = (HttpStatusCode.OK, path.EndsWith("/token", StringComparison.Ordinal)
                    ? new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" }
                    : new JsonObject());
            }
            else
            {
                CheckBearer(context.Request);
                if (RateLimit(context.Request.Method, Interlocked.Increment(ref _calls)))
                    throw new GcpError(HttpStatusCode.Forbidden, "rateLimitExceeded", "Rate Limit Exceeded");
                reply = (HttpStatusCode.OK, Compute(context.Request.Method, path, context.Request.Query, body));
            }
        }
        catch (GcpError e) when (path == "/token")
        {
            // OAuth 2 errors (RFC 6749 5.2), not Compute Engine's.
            reply = (e.Status, new JsonObject { ["error"] = e.Reason, ["error_description"] = e.Message });
        }
        catch (GcpError e)
        {
            reply = (e.Status, new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["code"] = (int)e.Status, ["message"] = e.Message,
                    ["errors"] = new JsonArray(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["domain"] = "global" }),
                },
            });
        }
        if (path.StartsWith("/compute/", StringComparison.Ordinal)) Calls.Enqueue((context.Request.Method, path, (int)reply.Status));
        context.Response.StatusCode = (int)reply.Status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(reply.Body.ToJsonString());
    }

    /// <summary>The JWT bearer grant (RFC 7523) as Google's token endpoint checks it.</summary>
    private JsonObject IssueToken(string body)
    {
        var form = body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => WebUtility.UrlDecode(p[0]), p => p.Length > 1 ? WebUtility.UrlDecode(p[1]) : "");
        if (form.GetValueOrDefault("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer") throw new GcpError(HttpStatusCode.BadRequest, "unsupported_grant_type", "Invalid grant_type");
        var parts = form.GetValueOrDefault("assertion", "").Split('.');
        if (parts.Length != 3) throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid JWT");
        using var header = JsonDocument.Parse(Base64Url(parts[0]));
        using var claims = JsonDocument.Parse(Base64Url(parts[1]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256") throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid JWT: alg");
        if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid JWT Signature.");
        var c = claims.RootElement;
        if (c.GetProperty("iss").GetString() != ClientEmail) throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid issuer");
        // Google's token endpoint takes its documented audiences (the library names oauth2.googleapis.com whatever token_uri says).
        if (c.GetProperty("aud").GetString() is not ("https://oauth2.googleapis.com/token" or "https://www.googleapis.com/oauth2/v4/token"))
            throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid JWT: audience");
        if (!(c.GetProperty("scope").GetString() ?? "").Split(' ').Contains(ComputeApi.Scope)) throw new GcpError(HttpStatusCode.BadRequest, "invalid_scope", "the compute scope is missing");
        if (DateTimeOffset.FromUnixTimeSeconds(c.GetProperty("exp").GetInt64()) < DateTimeOffset.UtcNow) throw new GcpError(HttpStatusCode.BadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token");
        var token = "ya29.fake-" + Guid.NewGuid().ToString("N");
        _tokens[token] = true;
        return new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" };
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private void CheckBearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.ContainsKey(header["Bearer ".Length..]))
            throw new GcpError(HttpStatusCode.Unauthorized, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token.");
    }

    public async ValueTask DisposeAsync()
    {
        await Containers.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private sealed class Vm(string name, JsonObject body, int cpus)
    {
        public string Name { get; } = name;

        public JsonObject Body { get; } = body;

        public int Cpus { get; } = cpus;

        public string Status { get; set; } = "PROVISIONING";

        public List<string> Serial { get; } = [];
    }
}

/// <summary>A Compute Engine refusal: status, reason, message.</summary>
internal sealed class GcpError(HttpStatusCode status, string reason, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string Reason { get; } = reason;
}
