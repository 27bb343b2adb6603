using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Shoal.Platform;

/// <summary>
/// What a Shoal process allocates, for benchmarks that measure bytes per task in every process of
/// a cluster (issue 10): with <c>SHOAL_ALLOC_TRACE=1</c> the process writes
/// <c>shoal-alloc UNIX-µs PID ALLOCATED-BYTES CPU-µs GC-COUNT JIT-µs JIT-METHODS</c> to stderr every
/// 250 ms (the JIT's figures are the runtime's own, <see cref="System.Runtime.JitInfo"/>: how much of
/// a run's CPU went to compiling, e.g. tier-1 code replacing tier-0 and ReadyToRun code);
/// with <c>SHOAL_ALLOC_TRACE=types</c> it also samples the runtime's allocation ticks (one event per
/// ~100 KB, naming the type that crossed it: what dotnet-trace's gc-verbose profile shows, which is
/// not installed here) and appends the cumulative bytes of its top types as <c>type=bytes</c> pairs.
/// A parent that reads the lines of an idle moment before and after a run gets each process's
/// allocations for that run. Off, nothing is started. Write-only: nothing in the process reads it.
/// </summary>
internal sealed class AllocationTrace : IDisposable
{
    /// <summary>The variable that turns the trace on (<c>1</c>, or <c>types</c> for the profile by type).</summary>
    public const string Variable = "SHOAL_ALLOC_TRACE";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Timer _timer;
    private readonly TypeSampler? _sampler;

    private AllocationTrace(bool byType)
    {
        if (byType) _sampler = new TypeSampler();
        _timer = new Timer(_ => Write(), null, TimeSpan.Zero, Interval);
    }

    /// <summary>Starts the periodic lines if the variable asks for them; the host keeps it for its lifetime (null: off).</summary>
    public static AllocationTrace? StartIfRequested() =>
        Environment.GetEnvironmentVariable(Variable) switch
        {
            "1" => new AllocationTrace(byType: false),
            "types" => new AllocationTrace(byType: true),
            _ => null,
        };

    /// <summary>Stops the lines.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        _sampler?.Dispose();
    }

    private void Write()
    {
        var micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        var cpu = (long)Environment.CpuUsage.TotalTime.TotalMicroseconds;
        var line = new StringBuilder(256).Append(CultureInfo.InvariantCulture,
            $"shoal-alloc {micros} {Environment.ProcessId} {GC.GetTotalAllocatedBytes(precise: true)} {cpu} {GC.CollectionCount(0)} {(long)System.Runtime.JitInfo.GetCompilationTime().TotalMicroseconds} {System.Runtime.JitInfo.GetCompiledMethodCount()}");
        _sampler?.AppendTop(line, 40);
        Console.Error.WriteLine(line.ToString());
    }

    /// <summary>Cumulative sampled bytes by type name, from the runtime's GCAllocationTick events.</summary>
    private sealed class TypeSampler : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);

        public void AppendTop(StringBuilder line, int top)
        {
            lock (_bytes)
            {
                foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(top))
                {
                    line.Append(' ').Append(type.Replace(' ', '_')).Append('=').Append(bytes.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null) return;
            var type = eventData.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
            var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0
                ? Convert.ToInt64(eventData.Payload[a], CultureInfo.InvariantCulture)
                : 100_000;
            lock (_bytes) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }
}
