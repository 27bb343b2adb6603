using System.Text.Json;
using k8s;
using k8s.Models;

namespace Shoal.Kubernetes.Operator;

/// <summary>Typed calls on one custom resource through KubernetesClient's CustomObjects API (which speaks untyped JSON).</summary>
internal sealed class CustomObjectClient<T>(IKubernetes kubernetes, ShoalKind kind) where T : class, IKubernetesObject<V1ObjectMeta>
{
    private const string G = ShoalResources.Group;
    private const string V = ShoalResources.Version;

    public ShoalKind Kind => kind;

    public async Task<T?> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var o = await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(G, V, ns, kind.Plural, name, cancellationToken).ConfigureAwait(false);
            return From(o);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            return null;
        }
    }

    public async Task<(IEnumerable<T> Items, string? ResourceVersion)> ListAsync(string? ns, CancellationToken cancellationToken)
    {
        var o = ns is null
            ? await kubernetes.CustomObjects.ListCustomObjectForAllNamespacesAsync(G, V, kind.Plural, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await kubernetes.CustomObjects.ListNamespacedCustomObjectAsync(G, V, ns, kind.Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
        var list = KubernetesJson.Deserialize<ShoalObjectList<T>>(Raw(o));
        foreach (var s in list.Items.OfType<IStatusAsRead>()) s.StatusAsRead = s.StatusNow();
        return (list.Items, list.Metadata?.ResourceVersion);
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string? ns, string resourceVersion, Action<Exception> onError,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = ns is null
            ? kubernetes.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(G, V, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: 300, onError: onError, cancellationToken: cancellationToken)
            : kubernetes.CustomObjects.WatchListNamespacedCustomObjectAsync(G, V, ns, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: 300, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, o) in events.ConfigureAwait(false)) yield return (type, From(o));
    }

    public async Task<T> CreateAsync(T obj, CancellationToken cancellationToken)
    {
        var o = await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync(obj, G, V, obj.Metadata.NamespaceProperty, kind.Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
        return From(o);
    }

    /// <summary>A JSON merge patch of the object (its spec, labels...).</summary>
    public Task PatchAsync(string ns, string name, object patch, CancellationToken cancellationToken) =>
        kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), G, V, ns, kind.Plural, name, cancellationToken: cancellationToken);

    /// <summary>
    /// A JSON merge patch of the status subresource (<c>{"status": ...}</c>) with <paramref name="obj"/>'s
    /// status as the reconcile left it; nothing is sent when it is the status as read (a write would
    /// wake every watch of the object, and its own reconcile again).
    /// </summary>
    public async Task PatchStatusAsync(T obj, CancellationToken cancellationToken)
    {
        if (obj is not IStatusAsRead s) throw new ArgumentException($"{typeof(T).Name} keeps no status", nameof(obj));
        var now = s.StatusNow();
        if (now == s.StatusAsRead) return;
        var patch = System.Text.Json.Nodes.JsonNode.Parse("{\"status\":" + now + "}")!;
        await kubernetes.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), G, V,
            obj.Metadata.NamespaceProperty, kind.Plural, obj.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        s.StatusAsRead = now;
    }

    public async Task DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, ns, kind.Plural, name, propagationPolicy: "Background", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (KubeRetry.IsNotFound(e))
        {
            // already gone
        }
    }

    private static T From(object o)
    {
        var t = KubernetesJson.Deserialize<T>(Raw(o));
        if (t is IStatusAsRead s) s.StatusAsRead = s.StatusNow();
        return t;
    }

    private static string Raw(object o) => o is JsonElement e ? e.GetRawText() : KubernetesJson.Serialize(o);
}
