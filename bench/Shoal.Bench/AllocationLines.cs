using System.Globalization;

namespace Shoal.Bench;

/// <summary>
/// The <c>shoal-alloc</c> lines (<c>SHOAL_ALLOC_TRACE</c>, src/Shoal/Platform/AllocationTrace.cs)
/// that the scheduler and worker processes write every 250 ms, kept per process id, so that a
/// benchmark can say what each process allocated (and spent in CPU) between two instants of a run:
/// from the last line at or before the start to the first line at or after the end.
/// </summary>
internal sealed class AllocationLines
{
    private const string Prefix = "shoal-alloc ";
    private readonly Dictionary<int, List<Sample>> _byPid = new();
    private readonly List<(long AfterMicros, TaskCompletionSource Done)> _waiters = [];

    /// <summary>One line: when, the process's bytes allocated so far, its CPU so far, the JIT's time and methods so far, its top types (cumulative).</summary>
    internal sealed record Sample(long Micros, long Bytes, long CpuMicros, long JitMicros, long JitMethods, Dictionary<string, long> Types);

    /// <summary>What a process did between two instants.</summary>
    internal sealed record Delta(long Bytes, long CpuMicros, long JitMicros, long JitMethods, Dictionary<string, long> Types);

    /// <summary>The process ids that wrote a line so far.</summary>
    public IReadOnlyCollection<int> Pids
    {
        get
        {
            lock (_byPid) return [.. _byPid.Keys];
        }
    }

    /// <summary>Now, in the lines' clock (µs since the Unix epoch).</summary>
    public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>Takes a line of a process's output; true if it was an allocation line.</summary>
    public bool Offer(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 8) return false;
        var types = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in parts.AsSpan(8))
        {
            var eq = pair.LastIndexOf('=');
            if (eq > 0) types[pair[..eq]] = long.Parse(pair[(eq + 1)..], CultureInfo.InvariantCulture);
        }

        long At(int i) => long.Parse(parts[i], CultureInfo.InvariantCulture);
        var sample = new Sample(At(1), At(3), At(4), At(6), At(7), types);
        var pid = int.Parse(parts[2], CultureInfo.InvariantCulture);
        lock (_byPid)
        {
            if (!_byPid.TryGetValue(pid, out var list)) _byPid[pid] = list = [];
            list.Add(sample);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_byPid.Values.All(l => l[^1].Micros >= _waiters[i].AfterMicros))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }

        return true;
    }

    /// <summary>Completes once every process seen so far has written a line at or after <paramref name="micros"/>.</summary>
    public Task WaitForAllAfterAsync(long micros, CancellationToken cancellationToken)
    {
        lock (_byPid)
        {
            if (_byPid.Values.All(l => l[^1].Micros >= micros)) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((micros, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>What a process allocated and spent between two instants, or null without lines around them.</summary>
    public Delta? Between(int pid, long fromMicros, long toMicros)
    {
        lock (_byPid)
        {
            if (!_byPid.TryGetValue(pid, out var list)) return null;
            var before = list.LastOrDefault(s => s.Micros <= fromMicros);
            var after = list.FirstOrDefault(s => s.Micros >= toMicros);
            if (before is null || after is null) return null;
            var types = after.Types.ToDictionary(kv => kv.Key, kv => kv.Value - before.Types.GetValueOrDefault(kv.Key), StringComparer.Ordinal);
            return new Delta(after.Bytes - before.Bytes, after.CpuMicros - before.CpuMicros, after.JitMicros - before.JitMicros, after.JitMethods - before.JitMethods, types);
        }
    }

    /// <summary>The top types of a profile, as bytes per task, one per line.</summary>
    public static string Report(Dictionary<string, long> types, long tasks, int top = 25) =>
        string.Join('\n', types.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Take(top)
            .Select(kv => $"  {kv.Value / (double)tasks,8:0} B/task  {kv.Key}"));
}
