using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Shoal.Tests.Kubernetes.Fake;

internal sealed partial class FakeKubeApi
{
    private (int Status, JsonObject? Answer, string? Text) Serve(FakeKubeRequest r, FakeKubeResource resource, JsonObject? body, HttpRequest http)
    {
        var (status, answer, text) = r.Subresource switch
        {
            null => r.Verb switch
            {
                "list" => (200, List(r, resource, http), null),
                "get" => Found(Store.Get(r.Resource, r.Namespace, r.Name!), r),
                "create" => Create(r, resource, body),
                "update" => Update(r, resource, body, keep: resource.HasStatus ? "status" : null),
                "patch" => Patch(r, resource, body, http.ContentType),
                "delete" => Delete(r, http),
                "deletecollection" => DeleteCollection(r, resource, http),
                _ => Error(new FakeKubeError(405, "MethodNotAllowed", $"{r.Verb} is not supported")),
            },
            "status" when resource.HasStatus => r.Verb switch
            {
                "get" => Found(Store.Get(r.Resource, r.Namespace, r.Name!), r),
                "update" => Update(r, resource, body, keep: "spec"),
                "patch" => Patch(r, resource, body, http.ContentType),
                _ => Error(new FakeKubeError(405, "MethodNotAllowed", $"{r.Verb} is not supported on status")),
            },
            "scale" when r.Resource == "deployments.apps" => Scale(r, body, http.ContentType),
            "log" when r.Resource == "pods" && r.Verb == "get" => Log(r),
            _ => Error(new FakeKubeError(404, "NotFound", "the server could not find the requested resource")),
        };
        if (answer is not null && answer["kind"] is null && status < 300)
        {
            answer["kind"] = resource.Kind;
            answer["apiVersion"] = resource.ApiVersion;
        }

        return (status, answer, text);
    }

    private static (int, JsonObject?, string?) Error(FakeKubeError e) => (e.Code, e.ToStatus(), null);

    private static (int, JsonObject?, string?) Found(JsonObject? o, FakeKubeRequest r) =>
        o is null ? Error(FakeKubeError.NotFound(r.RbacResource, r.Name!)) : (200, o, null);

    private JsonObject List(FakeKubeRequest r, FakeKubeResource resource, HttpRequest http)
    {
        var labels = FakeKubeJson.LabelSelector(http.Query["labelSelector"]);
        var fields = FakeKubeJson.FieldSelector(http.Query["fieldSelector"]);
        var (items, revision) = Store.List(r.Resource, r.Namespace.Length == 0 ? null : r.Namespace, o => labels(o) && fields(o));
        return new JsonObject
        {
            ["kind"] = resource.Kind + "List", ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        };
    }

    private (int, JsonObject?, string?) Create(FakeKubeRequest r, FakeKubeResource resource, JsonObject? body)
    {
        if (body is null) return Error(new FakeKubeError(400, "BadRequest", "the body of the request was empty"));
        var meta = body.Meta();
        var name = meta.Str("name");
        if (string.IsNullOrEmpty(name))
        {
            var prefix = meta.Str("generateName");
            if (string.IsNullOrEmpty(prefix)) return Error(FakeKubeError.Invalid(r.RbacResource, "", "metadata.name: Required value: name or generateName is required"));
            name = prefix + FakeKubeJson.RandomSuffix();
        }

        if (meta["namespace"] is not null && meta.Str("namespace") != r.Namespace && resource.Namespaced)
            return Error(new FakeKubeError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"));
        if (FakeKubeValidation.Check(resource, name, body) is { } invalid) return Error(invalid);
        if (resource.Schema is { } schema && FakeKubeSchema.Apply(body, schema) is { } bad) return Error(FakeKubeError.Invalid(resource.Kind, name, bad));
        if (resource.Namespaced && r.Namespace != "default" && Store.Get("namespaces", "", r.Namespace) is null && !_implicitNamespaces)
            return Error(new FakeKubeError(404, "NotFound", $"namespaces \"{r.Namespace}\" not found"));
        var (stored, error) = Store.Write(r.Resource, r.Namespace, name, current =>
        {
            if (current is not null) return (null, FakeKubeError.AlreadyExists(r.RbacResource, name));
            meta["name"] = name;
            if (resource.Namespaced) meta["namespace"] = r.Namespace;
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = FakeKubeJson.Now();
            meta["generation"] = 1L;
            body.Remove("kind");
            body.Remove("apiVersion");
            FakeKubeDefaults.OnCreate(resource, body);
            return (body, null);
        });
        if (error is null && resource.Key == "customresourcedefinitions.apiextensions.k8s.io") Register(FakeKubeResource.FromDefinition(stored!)); // the CRD's API is served from now on
        return error is not null ? Error(error) : (201, stored, null);
    }

    private bool _implicitNamespaces = true;

    /// <summary>When false, objects can only be created in "default" and in namespaces created as objects (the real rule). Default true.</summary>
    public bool ImplicitNamespaces { get => _implicitNamespaces; set => _implicitNamespaces = value; }

    private (int, JsonObject?, string?) Update(FakeKubeRequest r, FakeKubeResource resource, JsonObject? body, string? keep)
    {
        if (body is null) return Error(new FakeKubeError(400, "BadRequest", "the body of the request was empty"));
        if (body.Meta().Str("name") is { } named && named != r.Name)
            return Error(new FakeKubeError(400, "BadRequest", $"the name of the object ({named}) does not match the name on the URL ({r.Name})"));
        if (resource.Schema is { } schema && FakeKubeSchema.Apply(body, schema) is { } bad) return Error(FakeKubeError.Invalid(resource.Kind, r.Name!, bad));
        var (stored, error) = Store.Write(r.Resource, r.Namespace, r.Name!, current => Replace(r, current, body, keep));
        return error is not null ? Error(error) : (200, stored, null);
    }

    /// <summary>Optimistic concurrency: a body naming a resource version other than the stored one is a 409; none means "whatever is there".</summary>
    private static (JsonObject?, FakeKubeError?) Replace(FakeKubeRequest r, JsonObject? current, JsonObject next, string? keep)
    {
        if (current is null) return (null, FakeKubeError.NotFound(r.RbacResource, r.Name!));
        var asked = next.Meta().Str("resourceVersion");
        if (!string.IsNullOrEmpty(asked) && asked != current.Meta().Str("resourceVersion")) return (null, FakeKubeError.Conflict(r.RbacResource, r.Name!));
        var meta = next.Meta();
        foreach (var fixedField in new[] { "uid", "creationTimestamp", "namespace", "name", "generation" })
            meta[fixedField] = current.Meta()[fixedField]?.DeepClone();
        if (keep is not null) next[keep] = current[keep]?.DeepClone();
        next.Remove("kind");
        next.Remove("apiVersion");
        if (!JsonNode.DeepEquals(current["spec"], next["spec"])) meta["generation"] = (current.Meta()["generation"]?.GetValue<long>() ?? 1) + 1;
        return (next, null);
    }

    private (int, JsonObject?, string?) Patch(FakeKubeRequest r, FakeKubeResource resource, JsonObject? body, string? contentType)
    {
        if (body is null) return Error(new FakeKubeError(400, "BadRequest", "the body of the request was empty"));
        if (contentType is null || !(contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal) ||
                                     contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal)))
            return Error(new FakeKubeError(415, "UnsupportedMediaType", $"the fake serves merge patches only, not {contentType}"));
        var (stored, error) = Store.Write(r.Resource, r.Namespace, r.Name!, current =>
        {
            if (current is null) return (null, FakeKubeError.NotFound(r.RbacResource, r.Name!));
            var merged = (JsonObject)FakeKubeJson.MergePatch(current.DeepClone(), body)!;
            if (resource.Schema is { } schema && FakeKubeSchema.Apply(merged, schema) is { } bad) return (null, FakeKubeError.Invalid(resource.Kind, r.Name!, bad));
            // A patch that names a resource version is checked like a replace.
            return Replace(r, current, merged, keep: r.Subresource is null && resource.HasStatus ? "status" : r.Subresource == "status" ? "spec" : null);
        });
        return error is not null ? Error(error) : (200, stored, null);
    }

    private (int, JsonObject?, string?) Delete(FakeKubeRequest r, HttpRequest http)
    {
        var gone = Store.Remove(r.Resource, r.Namespace, r.Name!);
        if (gone is null) return Error(FakeKubeError.NotFound(r.RbacResource, r.Name!));
        _controllers.Deleted(r.Resource, gone, Orphan(http));
        return (200, gone, null);
    }

    private (int, JsonObject?, string?) DeleteCollection(FakeKubeRequest r, FakeKubeResource resource, HttpRequest http)
    {
        var labels = FakeKubeJson.LabelSelector(http.Query["labelSelector"]);
        var (items, _) = Store.List(r.Resource, r.Namespace.Length == 0 ? null : r.Namespace, labels);
        var gone = new JsonArray();
        foreach (var item in items)
        {
            if (Store.Remove(r.Resource, item.Meta().Str("namespace") ?? "", item.Meta().Str("name")!) is { } o)
            {
                _controllers.Deleted(r.Resource, o, Orphan(http));
                gone.Add(o);
            }
        }

        return (200, new JsonObject { ["kind"] = resource.Kind + "List", ["apiVersion"] = resource.ApiVersion, ["metadata"] = new JsonObject(), ["items"] = gone }, null);
    }

    private static bool Orphan(HttpRequest http) => http.Query["propagationPolicy"] == "Orphan";

    private (int, JsonObject?, string?) Scale(FakeKubeRequest r, JsonObject? body, string? contentType)
    {
        if (r.Verb == "get") return Store.Get(r.Resource, r.Namespace, r.Name!) is { } d ? (200, ScaleOf(d), null) : Error(FakeKubeError.NotFound("deployments.apps", r.Name!));
        if (body is null) return Error(new FakeKubeError(400, "BadRequest", "the body of the request was empty"));
        if (r.Verb == "patch" && (contentType is null || !contentType.Contains("merge-patch+json", StringComparison.Ordinal)))
            return Error(new FakeKubeError(415, "UnsupportedMediaType", $"the fake serves merge patches only, not {contentType}"));
        if (r.Verb is not ("update" or "patch")) return Error(new FakeKubeError(405, "MethodNotAllowed", $"{r.Verb} is not supported on scale"));
        var (_, error) = Store.Write(r.Resource, r.Namespace, r.Name!, current =>
        {
            if (current is null) return (null, FakeKubeError.NotFound("deployments.apps", r.Name!));
            var next = r.Verb == "patch" ? (JsonObject)FakeKubeJson.MergePatch(ScaleOf(current), body)! : body;
            var asked = next.Meta().Str("resourceVersion");
            if (!string.IsNullOrEmpty(asked) && asked != current.Meta().Str("resourceVersion")) return (null, FakeKubeError.Conflict("deployments.apps", r.Name!));
            var replicas = next["spec"]?["replicas"]?.GetValue<int>() ?? 0;
            if (replicas < 0) return (null, FakeKubeError.Invalid("Scale", r.Name!, "spec.replicas: Invalid value: must be greater than or equal to 0"));
            current.Child("spec")["replicas"] = replicas;
            current.Meta()["generation"] = (current.Meta()["generation"]?.GetValue<long>() ?? 1) + 1;
            return (current, null);
        });
        return error is not null ? Error(error) : (200, ScaleOf(Store.Get(r.Resource, r.Namespace, r.Name!)!), null);
    }

    private static JsonObject ScaleOf(JsonObject deployment)
    {
        var meta = deployment.Meta();
        var selector = deployment["spec"]?["selector"]?["matchLabels"].StringMap() ?? new Dictionary<string, string>();
        return new JsonObject
        {
            ["kind"] = "Scale", ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta.Str("name"), ["namespace"] = meta.Str("namespace"), ["uid"] = meta.Str("uid"),
                ["resourceVersion"] = meta.Str("resourceVersion"), ["creationTimestamp"] = meta.Str("creationTimestamp"),
            },
            ["spec"] = new JsonObject { ["replicas"] = deployment["spec"]?["replicas"]?.GetValue<int>() ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = deployment["status"]?["replicas"]?.GetValue<int>() ?? 0,
                ["selector"] = string.Join(",", selector.Select(p => $"{p.Key}={p.Value}")),
            },
        };
    }

    private (int, JsonObject?, string?) Log(FakeKubeRequest r) =>
        Store.Get("pods", r.Namespace, r.Name!) is null && !_controllers.HasLog(r.Namespace, r.Name!)
            ? Error(FakeKubeError.NotFound("pods", r.Name!))
            : (200, null, _controllers.Log(r.Namespace, r.Name!));
}
