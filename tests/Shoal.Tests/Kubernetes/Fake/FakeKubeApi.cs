using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>
/// A Kubernetes API server for tests, over real HTTP on loopback, that KubernetesClient talks to
/// unchanged: the core, apps, policy, RBAC and apiextensions objects Shoal's managers use, and
/// custom resources once registered; create (with generateName), get, list, watch, replace, merge
/// patch, delete and delete-collection, the deployments' scale subresource, pod logs; resource
/// versions with optimistic concurrency (409 Conflict on a stale one), label and field selectors,
/// watches that resume from a resource version, send bookmarks when asked and answer 410 Gone
/// once history is compacted; a deployment controller, the garbage collector (owner references)
/// and a kubelet that the test plays (<see cref="IFakeKubelet"/>: pods Running, stuck Pending or
/// in CrashLoopBackOff); a bearer token; latency per request; failures injected by the test.
/// Departures from the real server, on purpose: strategic merge patch is applied as a JSON merge
/// patch (lists replaced, not merged by key); deployments own their pods directly (no ReplicaSet
/// in between); deletion is immediate (no grace period, no finalizers).
/// </summary>
internal sealed partial class FakeKubeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, FakeKubeResource> _byPath = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeKubeRequest> _requests = new();
    private readonly List<Func<FakeKubeRequest, FakeKubeError?>> _faults = [];
    private readonly FakeKubeControllers _controllers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, string> _users = new();

    private FakeKubeApi(WebApplication app, IFakeKubelet kubelet)
    {
        _app = app;
        foreach (var r in FakeKubeResource.BuiltIn()) Register(r);
        _controllers = new FakeKubeControllers(this, kubelet);
    }

    public FakeKubeStore Store { get; } = new();

    /// <summary>The server's URL (http://127.0.0.1:PORT).</summary>
    public string Url { get; private set; } = "";

    /// <summary>The bearer token every request must carry. Default: a random one.</summary>
    public string Token { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();

    /// <summary>Time each request takes before it is served (a real API server answers in milliseconds). Default none.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>How often an idle watch that asked for bookmarks gets one. Default 1 s (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Every request served, in order (what a least-RBAC check reads).</summary>
    public IReadOnlyList<FakeKubeRequest> Requests => [.. _requests];

    /// <summary>Starts a fake API server on a free loopback port, with <paramref name="kubelet"/> running its pods (default: every pod runs).</summary>
    public static async Task<FakeKubeApi> StartAsync(IFakeKubelet? kubelet = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var api = new FakeKubeApi(app, kubelet ?? new RunningKubelet());
        app.Run(api.ServeAsync);
        await app.StartAsync();
        api.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api._controllers.Start(api._stopping.Token);
        return api;
    }

    /// <summary>A KubernetesClient configuration that reaches this server with its token.</summary>
    public KubernetesClientConfiguration Configuration(string @namespace = "default") =>
        new() { Host = Url, AccessToken = Token, Namespace = @namespace };

    /// <summary>A kubeconfig file (token auth) naming this server, in a new temporary file the caller deletes.</summary>
    public string WriteKubeconfig(string @namespace = "default")
    {
        var path = Path.Combine(Path.GetTempPath(), $"fake-kubeconfig-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url}
            users:
            - name: tester
              user:
                token: {Token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
                namespace: {@namespace}
            current-context: fake
            """);
        return path;
    }

    /// <summary>Another identity (a service account, say): its own token, its requests recorded under <paramref name="user"/>.</summary>
    public KubernetesClientConfiguration AddUser(string user, string @namespace = "default")
    {
        var token = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        _users[user] = token;
        return new KubernetesClientConfiguration { Host = Url, AccessToken = token, Namespace = @namespace };
    }

    /// <summary>Serves a custom resource (what installing its CRD does).</summary>
    public void Register(FakeKubeResource resource) => _byPath[$"{resource.Group}/{resource.Version}/{resource.Plural}"] = resource;

    /// <summary>Answers requests that <paramref name="fault"/> picks with its error instead of serving them, <paramref name="times"/> times.</summary>
    public void Fail(Func<FakeKubeRequest, bool> fault, FakeKubeError error, int times = 1)
    {
        int left = times;
        lock (_faults) _faults.Add(r => fault(r) && Interlocked.Decrement(ref left) >= 0 ? error : null);
    }

    /// <summary>The objects of a resource (its store key, e.g. "pods" or "deployments.apps") in a namespace.</summary>
    public List<JsonObject> Objects(string resourceKey, string? ns = null) => Store.List(resourceKey, ns).Items;

    /// <summary>Pods deleted so far (by the API or a controller), by name, in order.</summary>
    public IReadOnlyList<string> DeletedPods => _controllers.DeletedPods;

    /// <summary>Appends a line to a pod's log (what the kubelet collects from its container).</summary>
    public void AppendLog(string ns, string pod, string line) => _controllers.AppendLog(ns, pod, line);

    /// <summary>Completes when the controllers have acted on every write so far.</summary>
    public Task SettledAsync() => _controllers.SettledAsync();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Store.DropWatches();
        await _controllers.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    internal void Kick() => _controllers.Kick();

    private async Task ServeAsync(HttpContext context)
    {
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, context.RequestAborted);
        var presented = context.Request.Headers.Authorization.ToString();
        var user = presented == $"Bearer {Token}" ? "admin" : _users.FirstOrDefault(u => presented == $"Bearer {u.Value}").Key;
        if (user is null)
        {
            await WriteError(context, new FakeKubeError(401, "Unauthorized", "Unauthorized"));
            return;
        }

        if (!TryRoute(context.Request, user, out var request, out var resource))
        {
            await WriteError(context, new FakeKubeError(404, "NotFound", "the server could not find the requested resource"));
            return;
        }

        _requests.Enqueue(request);
        FakeKubeError? injected;
        lock (_faults) injected = _faults.Select(f => f(request)).FirstOrDefault(e => e is not null);
        if (injected is not null)
        {
            if (injected.Code == 429) context.Response.Headers.RetryAfter = "1";
            await WriteError(context, injected);
            return;
        }

        if (request.Verb == "watch")
        {
            await WatchAsync(context, request, resource);
            return;
        }

        var body = context.Request.ContentLength is > 0 || context.Request.Method is "POST" or "PUT" or "PATCH"
            ? await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
            : null;
        var (status, answer, text) = Serve(request, resource, body, context.Request);
        if (text is not null)
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(text, context.RequestAborted);
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer!.ToJsonString(), context.RequestAborted);
        if (request.Verb is not ("get" or "list")) Kick();
    }

    private bool TryRoute(HttpRequest http, string user, out FakeKubeRequest request, out FakeKubeResource resource)
    {
        request = null!;
        resource = null!;
        var s = http.Path.Value!.Trim('/').Split('/');
        string group, version;
        int i;
        if (s.Length >= 2 && s[0] == "api") { group = ""; version = s[1]; i = 2; }
        else if (s.Length >= 3 && s[0] == "apis") { group = s[1]; version = s[2]; i = 3; }
        else return false;
        string? ns = null;
        if (s.Length > i + 2 && s[i] == "namespaces") { ns = s[i + 1]; i += 2; }
        if (s.Length <= i || !_byPath.TryGetValue($"{group}/{version}/{s[i]}", out resource!)) return false;
        if (resource.Namespaced != (ns is not null) && !(resource.Namespaced && ns is null && http.Method == "GET")) return false;
        var name = s.Length > i + 1 ? s[i + 1] : null;
        var sub = s.Length > i + 2 ? s[i + 2] : null;
        if (s.Length > i + 3) return false;
        bool watch = http.Query["watch"] is var w && (w == "true" || w == "1");
        var verb = (http.Method, name, watch) switch
        {
            ("GET", null, true) => "watch",
            ("GET", null, false) => "list",
            ("GET", _, _) => "get",
            ("POST", null, _) => "create",
            ("PUT", not null, _) => "update",
            ("PATCH", not null, _) => "patch",
            ("DELETE", null, _) => "deletecollection",
            ("DELETE", not null, _) => "delete",
            _ => null,
        };
        if (verb is null) return false;
        request = new FakeKubeRequest(verb, resource.Key, ns ?? "", name, sub, http.Method, http.Path + http.QueryString, user);
        return true;
    }

    private static async Task WriteError(HttpContext context, FakeKubeError error)
    {
        context.Response.StatusCode = error.Code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(error.ToStatus().ToJsonString());
    }

    private async Task WatchAsync(HttpContext context, FakeKubeRequest request, FakeKubeResource resource)
    {
        var q = context.Request.Query;
        var labels = FakeKubeJson.LabelSelector(q["labelSelector"]);
        var fields = FakeKubeJson.FieldSelector(q["fieldSelector"]);
        long? from = long.TryParse(q["resourceVersion"], out var rv) && rv != 0 ? rv : null;
        bool bookmarks = q["allowWatchBookmarks"] == "true";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        if (int.TryParse(q["timeoutSeconds"], out var seconds) && seconds > 0) deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        context.Response.ContentType = "application/json";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        using var watch = Store.Watch(request.Resource, request.Namespace.Length == 0 ? null : request.Namespace, from, o => labels(o) && fields(o));
        if (watch is null)
        {
            // As the real server: 200, then one ERROR event carrying a 410 Status.
            var gone = new FakeKubeError(410, "Expired", $"too old resource version: {from} ({Store.Revision})").ToStatus();
            await WriteEvent(context, "ERROR", gone, CancellationToken.None);
            return;
        }

        await context.Response.Body.FlushAsync(CancellationToken.None);
        var reader = watch.Events.Reader;
        try
        {
            while (!deadline.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                if (bookmarks) idle.CancelAfter(BookmarkInterval);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    var mark = new JsonObject
                    {
                        ["kind"] = resource.Kind, ["apiVersion"] = resource.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = Store.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    };
                    await WriteEvent(context, "BOOKMARK", mark, deadline.Token);
                    continue;
                }

                if (!more) break;
                while (reader.TryRead(out var e))
                {
                    var o = e.Object;
                    o["kind"] = resource.Kind;
                    o["apiVersion"] = resource.ApiVersion;
                    await WriteEvent(context, e.Type, o, deadline.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away, the timeout passed, or the server stops
        }
        catch (IOException)
        {
            // the connection broke
        }
    }

    private static async Task WriteEvent(HttpContext context, string type, JsonObject o, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = o.DeepClone() }.ToJsonString() + "\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}

/// <summary>One request as the API server's authorizer sees it: a verb on a resource.</summary>
/// <param name="Verb">get, list, watch, create, update, patch, delete, deletecollection.</param>
/// <param name="Resource">The resource's store key ("pods", "deployments.apps").</param>
/// <param name="Namespace">Its namespace ("" for cluster-scoped or all namespaces).</param>
/// <param name="Name">The object's name (null for collections).</param>
/// <param name="Subresource">scale, status, log, or null.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">Path and query.</param>
/// <param name="User">Who sent it: "admin" for <see cref="FakeKubeApi.Token"/>, else the name given to <see cref="FakeKubeApi.AddUser"/>.</param>
internal sealed record FakeKubeRequest(string Verb, string Resource, string Namespace, string? Name, string? Subresource, string Method, string Path, string User)
{
    /// <summary>As an RBAC rule names it: "pods", "deployments/scale", "pods/log".</summary>
    public string RbacResource => (Resource.Split('.')[0]) + (Subresource is null ? "" : "/" + Subresource);
}
