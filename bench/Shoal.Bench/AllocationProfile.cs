using System.Diagnostics.Tracing;

namespace Shoal.Bench;

/// <summary>
/// Which types this process allocates, sampled by the runtime's own allocation ticks (one event
/// per ~100 KB allocated, naming the type that crossed it), as dotnet-trace's gc-verbose profile
/// would show them; for finding what to cut in bytes allocated per task (--alloc-profile).
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null) return;
        var type = eventData.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        lock (_bytes) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
    }

    /// <summary>The top types by sampled bytes, one per line, bytes per task beside them.</summary>
    public string Report(long tasks, int top = 30)
    {
        lock (_bytes)
        {
            var total = _bytes.Values.Sum();
            return $"sampled {total / (double)tasks:0} B/task; by type:\n" + string.Join('\n', _bytes.OrderByDescending(kv => kv.Value).Take(top)
                .Select(kv => $"  {kv.Value / (double)tasks,8:0} B/task  {kv.Key}"));
        }
    }

    /// <summary>Forgets what was sampled so far.</summary>
    public void Clear()
    {
        lock (_bytes) _bytes.Clear();
    }
}
