using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Shoal.Tests.Kubernetes.Fake;

/// <summary>
/// The fake API server's etcd: every object by (resource, namespace, name), one revision counter for
/// all of them (an object's <c>metadata.resourceVersion</c> is the revision of its last write, as the
/// real server's is), a bounded history of changes for watches to resume from (older resource
/// versions answer 410 Gone, as after etcd's compaction), and the open watches. One lock: the
/// fake serves a test, not a cluster.
/// </summary>
internal sealed class FakeKubeStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Resource, string Namespace, string Name), JsonObject> _objects = [];
    private readonly LinkedList<FakeWatchEvent> _history = new();
    private readonly List<FakeWatch> _watches = [];
    private long _revision = 1000;
    private long _compactedThrough = 1000;

    /// <summary>Changes kept for watches to resume from.</summary>
    public int HistoryLimit { get; set; } = 10_000;

    public long Revision { get { lock (_gate) return _revision; } }

    public JsonObject? Get(string resource, string ns, string name)
    {
        lock (_gate) return _objects.TryGetValue((resource, ns, name), out var o) ? (JsonObject)o.DeepClone() : null;
    }

    public (List<JsonObject> Items, long Revision) List(string resource, string? ns, Func<JsonObject, bool>? filter = null)
    {
        lock (_gate)
        {
            var items = _objects.Where(p => p.Key.Resource == resource && (ns is null || p.Key.Namespace == ns) && (filter is null || filter(p.Value)))
                .OrderBy(p => p.Key.Namespace, StringComparer.Ordinal).ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => (JsonObject)p.Value.DeepClone()).ToList();
            return (items, _revision);
        }
    }

    /// <summary>Every object of every resource, as (resource, object) pairs: what a leak check reads.</summary>
    public List<(string Resource, JsonObject Object)> All()
    {
        lock (_gate) return [.. _objects.Select(p => (p.Key.Resource, (JsonObject)p.Value.DeepClone()))];
    }

    /// <summary>
    /// Writes <paramref name="obj"/> when <paramref name="check"/> (given the stored object, or null)
    /// passes, stamping a new resource version; returns what was stored, or the check's failure.
    /// </summary>
    public (JsonObject? Stored, FakeKubeError? Error) Write(string resource, string ns, string name, Func<JsonObject?, (JsonObject? Next, FakeKubeError? Error)> change)
    {
        lock (_gate)
        {
            _objects.TryGetValue((resource, ns, name), out var current);
            var (next, error) = change(current is null ? null : (JsonObject)current.DeepClone());
            if (error is not null || next is null) return (null, error);
            // As the real server: a write that changes nothing is not stored again (no new resource version, no watch event).
            if (current is not null && SameBut(current, next, "resourceVersion")) return ((JsonObject)current.DeepClone(), null);
            var meta = next.Meta();
            meta["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _objects[(resource, ns, name)] = next;
            Publish(new FakeWatchEvent(_revision, current is null ? "ADDED" : "MODIFIED", resource, ns, (JsonObject)next.DeepClone()));
            return ((JsonObject)next.DeepClone(), null);
        }
    }

    private static bool SameBut(JsonObject a, JsonObject b, string metaField)
    {
        var (x, y) = ((JsonObject)a.DeepClone(), (JsonObject)b.DeepClone());
        x.Meta().Remove(metaField);
        y.Meta().Remove(metaField);
        return JsonNode.DeepEquals(x, y);
    }

    public JsonObject? Remove(string resource, string ns, string name)
    {
        lock (_gate)
        {
            if (!_objects.Remove((resource, ns, name), out var gone)) return null;
            gone.Meta()["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Publish(new FakeWatchEvent(_revision, "DELETED", resource, ns, (JsonObject)gone.DeepClone()));
            return gone;
        }
    }

    /// <summary>Forgets the history up to now: watches resuming from an older version get 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedThrough = _revision;
        }
    }

    /// <summary>
    /// Opens a watch from <paramref name="fromRevision"/> (null: from now, after synthetic ADDED
    /// events for what exists, as the real server does for resourceVersion "" or "0").
    /// Null when that revision was compacted away.
    /// </summary>
    public FakeWatch? Watch(string resource, string? ns, long? fromRevision, Func<JsonObject, bool> filter)
    {
        lock (_gate)
        {
            if (fromRevision is { } from && from < _compactedThrough) return null;
            var watch = new FakeWatch(resource, ns, filter, this);
            if (fromRevision is { } since)
            {
                foreach (var e in _history.Where(e => e.Revision > since)) watch.Offer(e);
            }
            else
            {
                foreach (var (key, o) in _objects.Where(p => p.Key.Resource == resource && (ns is null || p.Key.Namespace == ns)))
                    watch.Offer(new FakeWatchEvent(_revision, "ADDED", resource, key.Namespace, (JsonObject)o.DeepClone()));
            }

            _watches.Add(watch);
            return watch;
        }
    }

    /// <summary>Ends every open watch (as an API server restart or a load balancer does): clients must re-list or resume.</summary>
    public int DropWatches()
    {
        lock (_gate)
        {
            var n = _watches.Count;
            foreach (var w in _watches) w.Events.Writer.TryComplete();
            _watches.Clear();
            return n;
        }
    }

    public int OpenWatches { get { lock (_gate) return _watches.Count; } }

    internal void Close(FakeWatch watch)
    {
        lock (_gate) _watches.Remove(watch);
        watch.Events.Writer.TryComplete();
    }

    private void Publish(FakeWatchEvent e)
    {
        _history.AddLast(e);
        while (_history.Count > HistoryLimit)
        {
            _compactedThrough = _history.First!.Value.Revision;
            _history.RemoveFirst();
        }

        foreach (var w in _watches) w.Offer(e);
    }
}

internal sealed record FakeWatchEvent(long Revision, string Type, string Resource, string Namespace, JsonObject Object);

/// <summary>One open watch: the events it matches, in order.</summary>
internal sealed class FakeWatch(string resource, string? ns, Func<JsonObject, bool> filter, FakeKubeStore store) : IDisposable
{
    public Channel<FakeWatchEvent> Events { get; } = Channel.CreateUnbounded<FakeWatchEvent>();

    public void Offer(FakeWatchEvent e)
    {
        if (e.Resource == resource && (ns is null || e.Namespace == ns) && filter(e.Object)) Events.Writer.TryWrite(e);
    }

    public void Dispose() => store.Close(this);
}

/// <summary>A failure the API server answers with: an HTTP code and a Status object's reason and message.</summary>
internal sealed record FakeKubeError(int Code, string Reason, string Message)
{
    public static FakeKubeError NotFound(string resource, string name) => new(404, "NotFound", $"{resource} \"{name}\" not found");

    public static FakeKubeError Conflict(string resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");

    public static FakeKubeError AlreadyExists(string resource, string name) => new(409, "AlreadyExists", $"{resource} \"{name}\" already exists");

    public static FakeKubeError Invalid(string resource, string name, string why) => new(422, "Invalid", $"{resource} \"{name}\" is invalid: {why}");

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
        ["message"] = Message, ["reason"] = Reason, ["code"] = Code,
    };
}

internal static class JsonObjectExtensions
{
    public static JsonObject Meta(this JsonObject o) => o.Child("metadata");

    public static JsonObject Child(this JsonObject o, string name)
    {
        if (o[name] is JsonObject child) return child;
        var made = new JsonObject();
        o[name] = made;
        return made;
    }

    public static string? Str(this JsonNode? node, string name) => node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static IReadOnlyDictionary<string, string> StringMap(this JsonNode? node) =>
        node is JsonObject o ? o.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) : new Dictionary<string, string>();
}
