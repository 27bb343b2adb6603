using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Amazon.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Shoal.Cloud.Aws;
using Shoal.Cloud.Tests;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>
/// An in-test AWS: ECS, EC2, IAM and CloudWatch Logs on one loopback HTTP server (a path per service),
/// checking every request's SigV4 signature (recomputed with the secret key, scope and time checked) and
/// its documented shape, answering as the services do (their protocols, error codes and eventual states),
/// with the failures asked for: latency, throttling, quotas, injected errors, tasks that never start.
/// A task that reaches RUNNING runs its worker in this process from the container's environment (<see cref="FakeContainers"/>).
/// </summary>
internal sealed class FakeAws : IAsyncDisposable
{
    public const string AccessKey = "AKIDSHOALTEST";
    public const string SecretKey = "shoal/fake/secret/key/for/tests/only";
    public const string Region = "eu-west-1";
    public const string Account = "123456789012";

    private readonly WebApplication _app;
    private int _calls;

    private FakeAws(WebApplication app)
    {
        _app = app;
        Ecs = new FakeEcs(this);
        Ec2 = new FakeEc2();
        Iam = new FakeIam();
        Logs = new FakeLogs();
    }

    public FakeEcs Ecs { get; }

    public FakeEc2 Ec2 { get; }

    public FakeIam Iam { get; }

    public FakeLogs Logs { get; }

    public FakeContainers Containers { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every call answered, in order: service, action, HTTP status.</summary>
    public ConcurrentQueue<(string Service, string Action, int Status)> Calls { get; } = new();

    /// <summary>Added to every answer, as a region's round trip.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Which calls (service, action, running count of calls) are throttled.</summary>
    public Func<string, string, int, bool> Throttle { get; set; } = (_, _, _) => false;

    /// <summary>Errors to give once each, by action: (code, message, status).</summary>
    public ConcurrentDictionary<string, (string Code, string Message, HttpStatusCode Status)> FailOnce { get; } = new();

    public static async Task<FakeAws> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeAws(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.BaseAddress = new Uri(app.Urls.First());
        return fake;
    }

    public IReadOnlyDictionary<string, Uri> ServiceUrls => new Dictionary<string, Uri>
    {
        ["ecs"] = new(BaseAddress, "/ecs/"), ["ec2"] = new(BaseAddress, "/ec2/"), ["iam"] = new(BaseAddress, "/iam/"), ["logs"] = new(BaseAddress, "/logs/"),
    };

    public static AWSCredentials Credentials => new BasicAWSCredentials(AccessKey, SecretKey);

    /// <summary>Options for a cluster against this fake, quick to poll and to retry.</summary>
    public EcsClusterOptions Options() => new()
    {
        Image = "localhost/shoal:latest", Region = Region, Credentials = Credentials, ServiceUrls = ServiceUrls,
        SchedulerHost = "127.0.0.1", AdvertisedSchedulerHost = "127.0.0.1", Cpu = 1024, MemoryMiB = 2048,
        PollInterval = TimeSpan.FromMilliseconds(50), StartTimeout = TimeSpan.FromSeconds(60),
        Retry = new CloudRetry(10, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(100)),
    };

    /// <summary>What is left of everything any cluster made (empty when nothing leaked).</summary>
    public IReadOnlyList<string> Leftovers() =>
        [.. Ecs.Leftovers(), .. Ec2.Leftovers(), .. Iam.Leftovers(), .. Logs.Leftovers()];

    private async Task HandleAsync(HttpContext context)
    {
        var service = context.Request.Path.Value!.Trim('/').Split('/')[0];
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var protocol = service switch
        {
            "ecs" or "logs" => Protocol.Json,
            "ec2" or "iam" => Protocol.Query,
            _ => (Protocol?)null,
        };
        if (protocol is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        var form = protocol == Protocol.Query ? ParseForm(Encoding.UTF8.GetString(body)) : null;
        var action = protocol == Protocol.Json
            ? context.Request.Headers["X-Amz-Target"].ToString() is var target && target.Contains('.', StringComparison.Ordinal) ? target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..] : ""
            : form!.GetValueOrDefault("Action", "");
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency);
        FakeReply reply;
        try
        {
            CheckSignature(context.Request, body, service);
            var count = Interlocked.Increment(ref _calls);
            if (Throttle(service, action, count)) throw FakeError.Throttled(service);
            if (FailOnce.TryRemove(action, out var failure)) throw new FakeError(failure.Code, failure.Message, failure.Status);
            reply = service switch
            {
                "ecs" => Ecs.Handle(action, FakeJson.Parse(body, context.Request.ContentType)),
                "logs" => Logs.Handle(action, FakeJson.Parse(body, context.Request.ContentType)),
                "iam" => Iam.Handle(action, form!),
                _ => Ec2.Handle(action, form!),
            };
        }
        catch (FakeError e)
        {
            reply = protocol == Protocol.Json ? FakeReply.JsonError(e) : service == "ec2" ? FakeReply.Ec2Error(e) : FakeReply.QueryError(e);
        }

        Calls.Enqueue((service, action, (int)reply.Status));
        context.Response.StatusCode = (int)reply.Status;
        context.Response.ContentType = reply.ContentType;
        await context.Response.WriteAsync(reply.Body);
    }

    /// <summary>SigV4 as a service checks it: the scope's key, date, region and service, the time's skew, then the signature itself.</summary>
    private static void CheckSignature(HttpRequest request, byte[] body, string service)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string Scheme = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal)) throw FakeError.Auth(service, "MissingAuthenticationToken", "Request is missing Authentication Token");
        var fields = authorization[Scheme.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f.Length > 1 ? f[1] : "", StringComparer.Ordinal);
        var scope = fields.GetValueOrDefault("Credential", "").Split('/');
        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (scope.Length != 5 || scope[0] != AccessKey) throw FakeError.Auth(service, "UnrecognizedClientException", "The security token included in the request is invalid.");
        var region = service == "iam" ? "us-east-1" : Region;
        if (scope[2] != region || scope[3] != service || scope[4] != "aws4_request" || !amzDate.StartsWith(scope[1], StringComparison.Ordinal))
            throw FakeError.Auth(service, "SignatureDoesNotMatch", $"Credential should be scoped to a valid region and service: {string.Join('/', scope[1..])}");
        var signedAt = DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        if ((DateTime.UtcNow - signedAt).Duration() > TimeSpan.FromMinutes(15)) throw FakeError.Auth(service, "InvalidSignatureException", "Signature expired");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in fields.GetValueOrDefault("SignedHeaders", "").Split(';'))
            headers[name] = name == "host" ? request.Host.Value! : request.Headers[name].ToString();
        if (!headers.ContainsKey("host") || !headers.ContainsKey("x-amz-date")) throw FakeError.Auth(service, "SignatureDoesNotMatch", "host and x-amz-date must be signed");
        var uri = new Uri($"http://{request.Host.Value}{request.Path.Value}{request.QueryString.Value}");
        var expected = AwsSigV4.Sign(request.Method, uri, headers, body, new ImmutableCredentials(AccessKey, SecretKey, null), region, service, signedAt);
        if (expected.Signature != fields.GetValueOrDefault("Signature"))
            throw FakeError.Auth(service, service is "ecs" or "logs" ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.");
    }

    private static Dictionary<string, string> ParseForm(string body) =>
        body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => WebUtility.UrlDecode(p[0]), p => p.Length > 1 ? WebUtility.UrlDecode(p[1]) : "", StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await Containers.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private enum Protocol { Json, Query }
}
